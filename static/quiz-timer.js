// Quiz timer: a visible countdown, and announcements for screen readers only at
// thresholds (never every second). When time is up the answers are submitted.
(function () {
  "use strict";
  var timer = document.getElementById("timer");
  var form = document.getElementById("attempt-form");
  if (!timer || !form) { return; }
  var deadline = Date.parse(timer.dataset.deadline);
  var clock = timer.querySelector(".timer-clock");
  var announcer = document.getElementById("timer-announcement");
  var thresholds = [600, 300, 60, 30];
  var announced = {};
  var submitted = false;

  function say(text) { announcer.textContent = text; }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var mins = Math.floor(left / 60);
    var secs = left % 60;
    clock.textContent = mins + ":" + (secs < 10 ? "0" : "") + secs + " left";
    thresholds.forEach(function (limit) {
      if (left <= limit && !announced[limit] && left > 0) {
        announced[limit] = true;
        say(limit >= 60 ? (limit / 60) + " minutes left." : limit + " seconds left.");
      }
    });
    if (left === 0 && !submitted) {
      submitted = true;
      say("Time is up. Your answers are being submitted.");
      form.submit();
    }
  }
  thresholds.forEach(function (limit) {
    if ((deadline - Date.now()) / 1000 <= limit) { announced[limit] = true; }
  });
  tick();
  window.setInterval(tick, 1000);
}());
