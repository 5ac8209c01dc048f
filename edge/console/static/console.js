// The console's one script. Pages work without it; it adds live refresh
// from the event stream (the API's, through /console/events), the replay
// slider, and the counterfeit compensation shown beside its checkbox.
"use strict";
(function () {
  // Live refresh: a list reloads its rows, a ticket page offers the new
  // state, whenever an event it may see is recorded.
  function live(el) {
    var src = el.getAttribute("data-live");
    if (!src || !window.EventSource) { return; }
    var status = document.getElementById("live-status");
    var es = new EventSource(src);
    var timer = null, last = 0;
    es.onopen = function () { if (status) { status.textContent = "● live 实时"; } };
    es.onerror = function () { if (status) { status.textContent = "○ reconnecting 重新连接中"; } };
    var seen = parseInt(el.getAttribute("data-revision") || "-1", 10);
    es.onmessage = function (ev) {
      if (seen >= 0) {
        // A ticket page already shows every revision up to data-revision.
        try { if (JSON.parse(ev.data).revision <= seen) { return; } } catch (e) { return; }
      }
      last = Math.max(last, parseInt(ev.lastEventId, 10) || 0);
      if (timer) { return; }
      timer = setTimeout(function () { timer = null; refresh(el, last); }, 250);
    };
  }
  function refresh(el, position) {
    if (el.id === "ticket-list") {
      var url = new URL(window.location.href);
      url.searchParams.set("fragment", "1");
      url.searchParams.set("after", String(position));
      fetch(url.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var body = document.getElementById("list-rows");
          body.innerHTML = html;
          el.setAttribute("data-refreshed", String(position));
          body.querySelectorAll("tr").forEach(function (tr) { tr.classList.add("fresh"); });
        })
        .catch(function () {});
      return;
    }
    // A ticket page: the state changed under the reader. Reload unless a
    // form is being filled in (then say so, and let the 412 check guard it).
    var busy = Array.prototype.some.call(document.querySelectorAll("form[method=post] textarea, form[method=post] input[type=text]"),
      function (f) { return f.value !== ""; });
    var status = document.getElementById("live-status");
    if (busy) {
      if (status) { status.textContent = "工单已更新，请刷新 · The ticket changed: reload to see it"; }
      return;
    }
    if (new URL(window.location.href).searchParams.has("rev")) {
      if (status) { status.textContent = "工单已更新 · The ticket changed"; }
      return;
    }
    window.location.reload();
  }
  // The replay slider moves to the revision it is set to.
  function slider(el) {
    var num = document.getElementById("rev");
    el.addEventListener("input", function () { if (num) { num.value = el.value; } });
    el.addEventListener("change", function () {
      window.location.href = "/console/tickets/" + encodeURIComponent(el.getAttribute("data-ticket")) + "?rev=" + el.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(live);
    var s = document.getElementById("rev-slider");
    if (s) { slider(s); }
  });
})();
