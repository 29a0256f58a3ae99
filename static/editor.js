// The educators' editor: a problem's line link puts the cursor on that line, and
// Ctrl/Cmd+B, +I and +K wrap the selection in bold, italic or a link.
(function () {
  "use strict";
  var text = document.getElementById("text");
  if (!text) { return; }

  function goToLine(line) {
    var lines = text.value.split("\n");
    var start = 0;
    for (var i = 0; i < Math.min(line - 1, lines.length); i += 1) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    text.focus();
    text.setSelectionRange(start, end);
    var lineHeight = text.scrollHeight / Math.max(lines.length, 1);
    text.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  document.querySelectorAll(".problem-link").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      goToLine(parseInt(link.getAttribute("data-line"), 10) || 1);
    });
  });

  function wrap(before, after) {
    var start = text.selectionStart, end = text.selectionEnd;
    var chosen = text.value.slice(start, end);
    text.setRangeText(before + chosen + after, start, end, "end");
    if (!chosen) { text.setSelectionRange(start + before.length, start + before.length); }
    text.dispatchEvent(new Event("input"));
  }

  text.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) { return; }
    var key = event.key.toLowerCase();
    if (key === "b") { event.preventDefault(); wrap("**", "**"); }
    else if (key === "i") { event.preventDefault(); wrap("*", "*"); }
    else if (key === "k") { event.preventDefault(); wrap("[", "](https://)"); }
  });
})();
