// The educators' editor: a preview that follows the typing, line numbers beside the text (wrapped lines measured, so each
// number sits at its line), the cursor's line below it, a problem's "Line N" link that
// puts the cursor on that line, Ctrl/Cmd+B, +I and +K for bold, italic and a link, and
// a copy of the text kept in this browser until it is saved, so that nothing typed is
// lost to a page left open or a sign-in that expired.
(function () {
  "use strict";
  var text = document.getElementById("text");
  if (!text) { return; }

  // --- line numbers ---------------------------------------------------------------------
  var wrap = text.parentNode;
  var gutter = document.createElement("div");
  gutter.className = "editor-gutter";
  gutter.setAttribute("aria-hidden", "true");
  wrap.insertBefore(gutter, text);
  var mirror = document.createElement("div");
  mirror.className = "editor-mirror";
  mirror.setAttribute("aria-hidden", "true");
  document.body.appendChild(mirror);

  function number() {
    var style = window.getComputedStyle(text);
    mirror.style.width = (text.clientWidth - parseFloat(style.paddingLeft) -
      parseFloat(style.paddingRight)) + "px";
    ["fontFamily", "fontSize", "lineHeight", "letterSpacing", "tabSize"].forEach(function (name) {
      mirror.style[name] = style[name];
    });
    var lines = text.value.split("\n");
    mirror.textContent = "";
    lines.forEach(function (line) {
      var row = document.createElement("div");
      row.textContent = line || "\u200b";
      mirror.appendChild(row);
    });
    var heights = Array.prototype.map.call(mirror.children, function (row) {
      return row.getBoundingClientRect().height;
    });
    gutter.textContent = "";
    gutter.style.paddingTop = style.paddingTop;
    heights.forEach(function (height, index) {
      var cell = document.createElement("div");
      cell.textContent = String(index + 1);
      cell.style.height = height + "px";
      gutter.appendChild(cell);
    });
    gutter.scrollTop = text.scrollTop;
  }

  var pending = null;
  function renumberSoon() {
    window.clearTimeout(pending);
    pending = window.setTimeout(number, 120);
  }
  text.addEventListener("input", renumberSoon);
  window.addEventListener("resize", renumberSoon);
  text.addEventListener("scroll", function () { gutter.scrollTop = text.scrollTop; });
  number();

  // --- where the cursor is ----------------------------------------------------------------
  var position = document.getElementById("position");
  function showPosition() {
    if (!position) { return; }
    var before = text.value.slice(0, text.selectionStart).split("\n");
    position.textContent = "Line " + before.length + ", column " +
      (before[before.length - 1].length + 1);
  }
  ["keyup", "click", "select", "input"].forEach(function (name) {
    text.addEventListener(name, showPosition);
  });

  function goToLine(line) {
    var lines = text.value.split("\n");
    var start = 0;
    for (var i = 0; i < Math.min(line - 1, lines.length); i += 1) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    text.focus();
    text.setSelectionRange(start, end);
    var target = gutter.children[Math.min(line, gutter.children.length) - 1];
    text.scrollTop = target ? Math.max(0, target.offsetTop - gutter.offsetTop - 40) : 0;
    showPosition();
  }

  document.querySelectorAll(".problem-link").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      goToLine(parseInt(link.getAttribute("data-line"), 10) || 1);
    });
  });

  // --- shortcuts --------------------------------------------------------------------------
  function surround(before, after) {
    var start = text.selectionStart, end = text.selectionEnd;
    var chosen = text.value.slice(start, end);
    text.setRangeText(before + chosen + after, start, end, "end");
    if (!chosen) { text.setSelectionRange(start + before.length, start + before.length); }
    text.dispatchEvent(new Event("input"));
  }

  text.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) { return; }
    var key = event.key.toLowerCase();
    if (key === "b") { event.preventDefault(); surround("**", "**"); }
    else if (key === "i") { event.preventDefault(); surround("*", "*"); }
    else if (key === "k") { event.preventDefault(); surround("[", "](https://)"); }
  });

  // --- the preview follows the typing -----------------------------------------------------
  var section = document.querySelector(".preview[data-live]");
  var token = text.form && text.form.querySelector("input[name=csrf_token]");
  var previewing = null, asked = 0;
  function refreshPreview() {
    if (!section || !token || !window.fetch) { return; }
    var mine = (asked += 1);
    var body = new FormData();
    body.append("text", text.value);
    fetch(section.getAttribute("data-live"), {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": token.value },
      credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      var shown = document.getElementById("preview-body");
      if (html === null || mine !== asked || !shown) { return; }  // a newer one is coming
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("#preview-body");
      if (fresh) { shown.replaceWith(fresh); }
    }).catch(function () { /* offline: the Preview button still works */ });
  }
  text.addEventListener("input", function () {
    window.clearTimeout(previewing);
    previewing = window.setTimeout(refreshPreview, 700);
  });

  // --- a copy kept in this browser until saved --------------------------------------------
  var store = null;
  try { store = window.localStorage; } catch (error) { store = null; }
  if (!store) { return; }
  var key = "preceptor-editor-" + text.getAttribute("data-file");
  var kept = null;
  try { kept = JSON.parse(store.getItem(key) || "null"); } catch (error) { kept = null; }
  var recovered = document.getElementById("recovered");

  if (kept && kept.text === text.value) {
    store.removeItem(key);  // what was kept is what the page shows: saved
  } else if (kept && kept.text && recovered && text.getAttribute("data-saved") === "yes") {
    document.getElementById("recovered-at").textContent =
      new Date(kept.at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    recovered.hidden = false;
    document.getElementById("recover").addEventListener("click", function () {
      text.value = kept.text;
      recovered.hidden = true;
      text.dispatchEvent(new Event("input"));
      text.focus();
    });
    document.getElementById("recover-dismiss").addEventListener("click", function () {
      store.removeItem(key);
      recovered.hidden = true;
    });
  }

  var saving = null;
  text.addEventListener("input", function () {
    window.clearTimeout(saving);
    saving = window.setTimeout(function () {
      try { store.setItem(key, JSON.stringify({ text: text.value, at: Date.now() })); }
      catch (error) { /* storage full or off: the server copy is what counts */ }
    }, 400);
  });
})();
