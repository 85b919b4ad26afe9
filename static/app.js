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

  // Controls marked data-autosubmit apply at once when picked with the pointer; the form's
  // button still works without JS. A select changed from the keyboard (arrow keys move through
  // the choices) applies only on Enter, so moving through "Rows per page" does not reload the
  // page at each step. After the reload the control has the focus again.
  var refocusKey = "tenantdesk-refocus";
  function autoSubmit() {
    var keyed = null; // the select whose value the keyboard is changing
    function submit(el) {
      try {
        sessionStorage.setItem(refocusKey, el.id || el.name);
      } catch (err) {
        // storage off: the focus starts at the top, as without JS
      }
      if (el.form.requestSubmit) el.form.requestSubmit();
      else el.form.submit();
    }
    document.addEventListener("keydown", function (e) {
      var el = e.target;
      if (!el.hasAttribute || el.tagName !== "SELECT" || !el.hasAttribute("data-autosubmit") || !el.form) return;
      if (e.key === "Enter") {
        e.preventDefault();
        keyed = null;
        submit(el);
        return;
      }
      keyed = el;
    }, true);
    document.addEventListener("pointerdown", function () {
      keyed = null;
    }, true);
    document.addEventListener("change", function (e) {
      var el = e.target;
      if (!el.hasAttribute || !el.hasAttribute("data-autosubmit") || !el.form) return;
      if (el === keyed) {
        keyed = null;
        return; // applied on Enter or with the form's button
      }
      submit(el);
    });
    var again = null;
    try {
      again = sessionStorage.getItem(refocusKey);
      sessionStorage.removeItem(refocusKey);
    } catch (err) {
      again = null;
    }
    if (again) {
      var el = document.getElementById(again) || document.querySelector('[data-autosubmit][name="' + again.replace(/["\\]/g, "") + '"]');
      if (el) el.focus();
    }
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

  // Local time beside UTC: every <time data-local> shows its instant in UTC as rendered, and
  // here also in the reader's own zone ("(18:07 CET)"), with the day when that differs. Nothing
  // is added where the browser's zone is UTC.
  function localTimes() {
    if (!window.Intl || !Intl.DateTimeFormat) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    if (zone === "UTC" || zone === "Etc/UTC" || zone === "Etc/GMT") return;
    var els = document.querySelectorAll("time[data-local]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.nextElementSibling && el.nextElementSibling.classList.contains("local-time")) continue;
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) continue;
      var opts = { hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short" };
      if (el.getAttribute("data-local") === "seconds") opts.second = "2-digit";
      var utcDay = d.toISOString().slice(0, 10);
      var localDay = d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" + ("0" + d.getDate()).slice(-2);
      if (utcDay !== localDay) {
        opts.day = "numeric";
        opts.month = "short";
      }
      var span = document.createElement("span");
      span.className = "local-time";
      span.title = "Your time (" + zone + ")";
      span.textContent = " (" + d.toLocaleString(undefined, opts) + ")";
      el.insertAdjacentElement("afterend", span);
    }
  }

  // The navigation's "More" (a details element, which opens and closes without JS) closes as a
  // menu would: on Escape, giving the focus back to "More", and on a click or a focus outside it.
  function moreMenu() {
    var more = document.getElementById("nav-more");
    if (!more) return;
    var summary = more.querySelector("summary");
    more.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && more.open) {
        more.open = false;
        summary.focus();
      }
    });
    document.addEventListener("click", function (e) {
      if (more.open && !more.contains(e.target)) more.open = false;
    });
    document.addEventListener("focusin", function (e) {
      if (more.open && !more.contains(e.target)) more.open = false;
    });
  }

  watchSync();
  localTimes();
  watchJob();
  tickAges();
  setInterval(tickAges, 30000);
  copyButtons();
  autoSubmit();
  refreshButton();
  moreMenu();
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

// A form sent back with a problem (400, web/layout.templ formProblem) shows it where the person
// is looking: scrolled into view and focused, since the form may sit far down its page.
(function () {
  "use strict";
  var p = document.getElementById("form-problem");
  if (!p) return;
  p.setAttribute("tabindex", "-1");
  p.scrollIntoView({ block: "center" });
  p.focus();
})();

// "Reprocess selected users" with nobody ticked says so beside the button instead of sending
// the form (the server refuses it as well, on the form, without JS).
(function () {
  "use strict";
  var form = document.getElementById("reprocess-form");
  if (!form) return;
  form.addEventListener("submit", function (e) {
    var by = e.submitter;
    if (!by || by.name !== "scope" || by.value !== "selected") return;
    if (form.querySelector('input[type="checkbox"][name="user"]:checked')) return;
    e.preventDefault();
    var msg = document.getElementById("reprocess-none");
    if (!msg) {
      msg = document.createElement("p");
      msg.id = "reprocess-none";
      msg.className = "banner error form-problem";
      msg.setAttribute("role", "alert");
      msg.textContent = "Select at least one user to reprocess (the boxes in the first column), or reprocess all users in error.";
      by.parentNode.insertAdjacentElement("afterend", msg);
    }
    by.focus();
  });
  form.addEventListener("change", function () {
    var msg = document.getElementById("reprocess-none");
    if (msg && form.querySelector('input[type="checkbox"][name="user"]:checked')) msg.remove();
  });
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

// License templates (web/templates.templ, bulk.templ, split.templ): follow each group's license
// processing while it runs (queued, in progress, complete); when every box marked data-reload
// is complete, reload: the page then shows the members' new states or the next step. Without
// JS the pages say the state as it was and a reload shows the new one.
(function () {
  "use strict";
  var boxes = document.querySelectorAll(".processing[data-status-url]");
  if (!boxes.length) return;
  function allDone() {
    var waiting = document.querySelectorAll('.processing[data-reload="true"][data-done="false"]');
    return waiting.length === 0;
  }
  function show(box, p) {
    var bar = box.querySelector("progress");
    if (bar) bar.value = p.step;
    var steps = box.querySelectorAll("ol.steps li");
    for (var i = 0; i < steps.length; i++) {
      steps[i].classList.toggle("done", i + 1 < p.step || (p.done && i + 1 === p.step));
      steps[i].classList.toggle("current", i + 1 === p.step && !p.done);
    }
    var label = box.querySelector(".processing-state");
    if (label) label.textContent = p.label;
  }
  function follow(box) {
    var failures = 0;
    function poll() {
      fetch(box.getAttribute("data-status-url"), { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (p) {
          failures = 0;
          show(box, p);
          if (!p.done) {
            setTimeout(poll, 2000);
            return;
          }
          box.setAttribute("data-done", "true");
          if (box.getAttribute("data-reload") !== "true" || !allDone()) return;
          var next = box.getAttribute("data-reload-url");
          if (next) window.location.assign(next);
          else window.location.reload();
        })
        .catch(function () {
          failures++;
          setTimeout(poll, Math.min(15000, 1000 * Math.pow(2, failures)));
        });
    }
    setTimeout(poll, 1500);
  }
  for (var i = 0; i < boxes.length; i++) {
    if (boxes[i].getAttribute("data-done") !== "true") follow(boxes[i]);
  }
})();

// License editor: ticking a license opens its service plans.
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  if (!form) return;
  form.addEventListener("change", function (e) {
    var el = e.target;
    if (el.name !== "sku" || !el.checked) return;
    var box = el.closest(".editor-license");
    var details = box && box.querySelector("details");
    if (details) details.open = true;
  });
})();

// Bulk form: only the plans of the license the change is about are shown (the new license's for
// "replace" and "add"); without JS every license's plans are listed.
(function () {
  "use strict";
  var kind = document.getElementById("bulk-kind");
  var sku = document.getElementById("bulk-sku");
  var withSel = document.getElementById("bulk-with");
  if (!kind || !sku) return;
  function update() {
    var target = kind.value === "replace" && withSel && withSel.value ? withSel.value : sku.value;
    var groups = document.querySelectorAll(".bulk-plan-group");
    for (var i = 0; i < groups.length; i++) {
      var other = groups[i].getAttribute("data-sku") !== target;
      groups[i].hidden = other;
      groups[i].disabled = other; // a hidden license's plans are not sent
    }
  }
  kind.addEventListener("change", update);
  sku.addEventListener("change", update);
  if (withSel) withSel.addEventListener("change", update);
  update();
})();
