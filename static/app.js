// tenantdesk's own script: a little progressive enhancement on server-rendered pages. Every
// page works without it. Loaded with defer; no inline script anywhere (strict CSP).
(function () {
  "use strict";

  // followProgress polls url (JSON) every `every` ms and hands each answer to onProgress, which
  // returns false once the work has ended; while the answers fail, onUnavailable is called and
  // the pauses double up to maxPause.
  function followProgress(url, every, maxPause, onProgress, onUnavailable) {
    var failures = 0;
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (p) {
          failures = 0;
          if (onProgress(p) !== false) setTimeout(poll, every);
        })
        .catch(function () {
          failures++;
          onUnavailable();
          setTimeout(poll, Math.min(maxPause, every * Math.pow(2, failures)));
        });
    }
    setTimeout(poll, every / 2);
  }

  // Live refresh progress: poll while a sync runs, then reload so the page shows the new
  // data (or the failure banner).
  function watchSync() {
    var box = document.getElementById("sync");
    if (!box) return;
    var url = box.getAttribute("data-progress-url");
    if (!url) return;
    var running = box.getAttribute("data-running") === "true";
    if (!running) return;
    var bar = document.getElementById("sync-bar");
    var text = document.getElementById("sync-text");
    var wrap = document.getElementById("sync-progress");
    followProgress(url, 1000, 10000, function (p) {
      if (!p.running) {
        window.location.reload();
        return false;
      }
      if (wrap) wrap.hidden = false;
      if (bar) {
        if (p.total > 0) {
          bar.max = p.total;
          bar.value = Math.min(p.done, p.total);
        } else {
          bar.removeAttribute("value"); // indeterminate
        }
      }
      if (text) text.textContent = p.text || "Refreshing…";
    }, function () {
      if (text) text.textContent = "Refreshing… (progress unavailable)";
    });
  }

  // Background jobs (web/jobs.templ): while a job runs, follow its progress (bar and words)
  // and reload the page once it has ended, so every user's outcome shows without a reload by
  // hand. Without JS the page says the same on each reload.
  function watchJob() {
    var box = document.getElementById("job");
    if (!box) return;
    var state = box.getAttribute("data-state");
    if (state !== "queued" && state !== "running") return;
    var bar = document.getElementById("job-bar");
    var text = document.getElementById("job-progress-text");
    followProgress(box.getAttribute("data-progress-url"), 1500, 15000, function (p) {
      if (p.finished) {
        window.location.reload();
        return false;
      }
      if (bar) {
        bar.max = p.total;
        bar.value = Math.min(p.done, p.total);
      }
      if (text && p.text) text.textContent = p.text;
    }, function () {
      if (text) text.textContent = "Progress unavailable for the moment; the job goes on. Reload the page to see it.";
    });
  }

  // Keep "3 minutes ago" true while the page stays open.
  function ago(iso) {
    var s = (Date.now() - Date.parse(iso)) / 1000;
    if (isNaN(s)) return null;
    if (s < 45) return "just now";
    if (s < 90) return "1 minute ago";
    if (s < 3600) return Math.round(s / 60) + " minutes ago";
    if (s < 5400) return "1 hour ago";
    if (s < 86400) return Math.round(s / 3600) + " hours ago";
    if (s < 172800) return "yesterday";
    return Math.floor(s / 86400) + " days ago";
  }
  function tickAges() {
    var els = document.querySelectorAll("time[data-age]");
    for (var i = 0; i < els.length; i++) {
      var t = ago(els[i].getAttribute("datetime"));
      if (t) els[i].textContent = t;
    }
  }

  // Copy buttons for object ids; hidden without JS because they need it.
  function copyButtons() {
    if (!navigator.clipboard) return;
    var btns = document.querySelectorAll("button.copy[data-copy]");
    for (var i = 0; i < btns.length; i++) {
      btns[i].hidden = false;
    }
    document.addEventListener("click", function (e) {
      var b = e.target.closest ? e.target.closest("button.copy[data-copy]") : null;
      if (!b) return;
      navigator.clipboard.writeText(b.getAttribute("data-copy")).then(function () {
        b.classList.add("done");
        b.textContent = "Copied";
        setTimeout(function () {
          b.classList.remove("done");
          b.textContent = "Copy";
        }, 1500);
      });
    });
  }

  // Controls marked data-autosubmit apply at once; the form's button still works without JS.
  function autoSubmit() {
    document.addEventListener("change", function (e) {
      var el = e.target;
      if (!el.hasAttribute || !el.hasAttribute("data-autosubmit") || !el.form) return;
      if (el.form.requestSubmit) el.form.requestSubmit();
      else el.form.submit();
    });
  }

  // The refresh button says what it does while the POST is under way.
  function refreshButton() {
    var b = document.getElementById("refresh-button");
    if (!b || !b.form) return;
    b.form.addEventListener("submit", function () {
      b.disabled = true;
      b.textContent = "Starting…";
    });
  }

  watchSync();
  watchJob();
  tickAges();
  setInterval(tickAges, 30000);
  copyButtons();
  autoSubmit();
  refreshButton();
})();

// IP lookup (web/ip.templ): while a download started from the page runs, reload the page every
// few seconds so its outcome per source shows without the person reloading by hand.
(function () {
  "use strict";
  var job = document.getElementById("ip-refresh-result");
  if (!job || job.getAttribute("data-running") !== "true") return;
  setTimeout(function () {
    location.reload();
  }, 4000);
})();

// Licensing pages (web/group.templ): a "select all" checkbox for the users of a reprocess form,
// hidden without JS (the "reprocess all" button does the same without it).
(function () {
  "use strict";
  var boxes = document.querySelectorAll("input[data-select-all]");
  for (var i = 0; i < boxes.length; i++) {
    (function (all) {
      var form = all.form;
      if (!form) return;
      var name = all.getAttribute("data-select-all");
      all.hidden = false;
      all.addEventListener("change", function () {
        var items = form.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
        for (var j = 0; j < items.length; j++) items[j].checked = all.checked;
      });
    })(boxes[i]);
  }
})();

// Password-reset request check (web/sspr.templ): Ctrl+Enter (or Cmd+Enter) in the paste box
// checks the message; choosing a file clears the paste box (the form takes one or the other);
// after a check the result gets the focus so screen readers start there.
(function () {
  "use strict";
  var box = document.getElementById("sspr-message");
  if (!box || !box.form) return;
  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (box.form.requestSubmit) box.form.requestSubmit();
      else box.form.submit();
    }
  });
  var file = document.getElementById("sspr-file");
  if (file) {
    file.addEventListener("change", function () {
      if (file.files && file.files.length > 0) box.value = "";
    });
  }
  var result = document.getElementById("sspr-result");
  if (result && location.hash === "#sspr-result") result.focus();
})();
