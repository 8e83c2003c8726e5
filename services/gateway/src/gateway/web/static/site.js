/* The site's one script. Every page works without it; with it:
   - the landing page's participant count stays live;
   - the attempt page shows one question at a time, counts down by the server's clock, saves each
     answer as it is given, keeps every answer in this browser (a reload, a lost connection or a
     crash loses nothing), and sends what is unsaved again when the connection comes back.
   Saving sends the whole answer map and submitting is idempotent on the server, so sending the
   same thing twice never counts twice. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.className = root.className.replace(/\bno-js\b/, "js");

  function send(method, url, body) {
    var options = {method: method, credentials: "same-origin",
      headers: {"content-type": "application/json", "x-requested-with": "fetch"}};
    if (body !== undefined) options.body = JSON.stringify(body);
    return fetch(url, options).then(function (answer) {
      return answer.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return {status: answer.status, ok: answer.ok, data: data,
          retryAfter: Number(answer.headers.get("retry-after")) || 0};
      });
    });
  }

  function liveCount(box) {
    function refresh() {
      if (document.hidden || !navigator.onLine) return;
      send("GET", box.getAttribute("data-live")).then(function (r) {
        if (!r.ok || !r.data) return;
        ["participants", "attempts"].forEach(function (name) {
          var field = box.querySelector("[data-field=" + name + "]");
          if (field) field.textContent = Number(r.data[name]).toLocaleString("vi-VN");
        });
      }, function () {});
    }
    setInterval(refresh, 30000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-live]");
    if (box) liveCount(box);
    var form = document.getElementById("attempt");
    if (form) attempt(form);
  });

  function attempt(form) {
    var id = form.getAttribute("data-attempt");
    var key = "bai-thi:" + id;
    // The server's clock decides: the difference to this device's clock is measured once, at load.
    // The page's travel time makes the countdown end slightly early, never late.
    var skew = Number(form.getAttribute("data-server-now")) - Date.now();
    var deadline = Number(form.getAttribute("data-deadline"));
    var questions = [].slice.call(form.querySelectorAll(".question"));
    var summary = document.getElementById("tong-ket");
    var statusLine = document.getElementById("save-status");
    var prediction = document.getElementById("f-prediction");
    var errorBox = form.querySelector("[data-submit-error]");
    var links = [].slice.call(form.querySelectorAll(".jump a"));
    var state = {answers: {}, prediction: "", pending: false, submitting: false};
    var version = 0, inFlight = false, timer = null, finished = false, current = 0, warned = {};

    function store() {
      try { localStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* full or private: server copy */ }
    }
    function chosen(fieldset) {
      return [].slice.call(fieldset.querySelectorAll("input:checked")).map(function (i) { return i.value; });
    }
    function setStatus(text, offline) {
      statusLine.textContent = text;
      statusLine.className = "status" + (offline ? " offline" : "");
    }
    function clock(ms) {
      var s = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      return (h ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
    }

    // What the server had when the page was made, then what this browser holds and had not yet
    // had saved (answered offline, or just before a reload): that is newer, and wins.
    // Only answered questions (and ones cleared here) are sent: a blank one never overwrites an
    // answer given meanwhile on another device.
    questions.forEach(function (q) {
      var given = chosen(q);
      if (given.length) state.answers[q.getAttribute("data-question")] = given;
    });
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { kept = null; }
    if (kept && kept.pending) {
      questions.forEach(function (q) {
        var qid = q.getAttribute("data-question"), mine = kept.answers[qid];
        if (!mine) return;
        state.answers[qid] = mine;
        [].slice.call(q.querySelectorAll("input")).forEach(function (i) {
          if (i.type !== "hidden") i.checked = mine.indexOf(i.value) >= 0;
        });
      });
      state.pending = true;
    }
    if (kept && kept.prediction && prediction && !prediction.value) prediction.value = kept.prediction;
    state.prediction = prediction ? prediction.value : "";

    function unanswered() {
      var list = [];
      questions.forEach(function (q, n) {
        if (!(state.answers[q.getAttribute("data-question")] || []).length) list.push(n);
      });
      return list;
    }
    function refreshMarks() {
      questions.forEach(function (q, n) {
        links[n].className = (state.answers[q.getAttribute("data-question")] || []).length ? "done" : "";
      });
      var missing = unanswered(), line = form.querySelector("[data-unanswered]");
      line.textContent = missing.length ? "Bạn còn " + missing.length + " câu chưa trả lời: " : "Bạn đã trả lời tất cả các câu hỏi.";
      missing.forEach(function (n, k) {
        var a = document.createElement("a");
        a.href = "#cau-" + (n + 1);
        a.setAttribute("data-goto", n);
        a.textContent = "Câu " + (n + 1);
        line.appendChild(a);
        line.appendChild(document.createTextNode(k < missing.length - 1 ? ", " : "."));
      });
    }

    function show(n, focus) {
      current = Math.max(0, Math.min(n, questions.length));
      questions.forEach(function (q, k) { q.classList.toggle("current", k === current); });
      summary.classList.toggle("current", current === questions.length);
      links.forEach(function (a, k) {
        if (k === current) a.setAttribute("aria-current", "step"); else a.removeAttribute("aria-current");
      });
      if (current === questions.length) refreshMarks();
      if (focus) {
        var target = current === questions.length ? summary.querySelector("h2") : questions[current].querySelector("legend");
        target.focus();
      }
    }

    function schedule(delay) {
      clearTimeout(timer);
      timer = setTimeout(save, delay);
    }
    function save() {
      if (inFlight || !state.pending || finished || state.submitting) return;
      if (!navigator.onLine) { setStatus("Mất kết nối: câu trả lời được giữ trên máy này và sẽ được gửi khi có mạng.", true); return; }
      var sent = version;
      inFlight = true;
      setStatus("Đang lưu…");
      send("PUT", "/api/attempts/" + id + "/answers", {answers: state.answers}).then(function (r) {
        inFlight = false;
        if (r.ok) {
          if (sent === version) { state.pending = false; store(); }
          setStatus("Đã lưu lúc " + new Date(Date.now() + skew).toLocaleTimeString("vi-VN", {timeZone: "Asia/Ho_Chi_Minh"}) + ".");
          if (state.pending) schedule(300);
          if (state.submitting) submit();
          return;
        }
        refused(r);
      }, function () {
        inFlight = false;
        setStatus("Mất kết nối: câu trả lời được giữ trên máy này và sẽ được gửi khi có mạng.", true);
      });
    }
    function refused(r) {
      var error = (r.data && r.data.error) || {};
      if (r.status === 401) {
        setStatus("Phiên đăng nhập đã hết hạn. Câu trả lời vẫn được giữ trên máy này; hãy đăng nhập lại để gửi.", true);
        showError(error.message || "Bạn cần đăng nhập lại.", "/dang-nhap?tiep=" + encodeURIComponent("/bai-thi/" + id));
      } else if (r.status === 409 || r.status === 404) {
        finished = true;
        setStatus(error.message || "Bài thi đã kết thúc.", true);
        showError(error.message || "Bài thi đã kết thúc.", "/bai-thi/" + id + "/da-nop");
      } else if (r.status === 422) {
        state.submitting = false;
        showError(error.message || "Dữ liệu không hợp lệ.");
      } else {
        setStatus("Hệ thống đang bận; câu trả lời được giữ trên máy này và sẽ được gửi lại.", true);
      }
    }
    function showError(message, link) {
      errorBox.textContent = "";
      var p = document.createElement("p");
      p.textContent = message + " ";
      if (link) {
        var a = document.createElement("a");
        a.href = link;
        a.textContent = link.indexOf("/dang-nhap") === 0 ? "Đăng nhập lại" : "Xem bài đã nộp";
        p.appendChild(a);
      }
      errorBox.appendChild(p);
      errorBox.hidden = false;
      if (!summary.classList.contains("current")) setStatus(message, true);
    }

    function submit() {
      if (finished) return;
      state.submitting = true;
      state.prediction = prediction ? prediction.value.trim() : "";
      store();
      if (inFlight) return;  // the save in flight calls submit again when it ends
      if (!navigator.onLine) {
        setStatus("Mất kết nối: bài sẽ được nộp ngay khi có mạng trở lại.", true);
        return;
      }
      var p = state.prediction === "" ? null : Number(state.prediction);
      if (p !== null && !(p >= 0 && Math.floor(p) === p)) {
        state.submitting = false;
        showError("Câu hỏi dự đoán: vui lòng nhập một số nguyên, ví dụ 120.");
        return;
      }
      inFlight = true;
      setStatus("Đang nộp bài…");
      send("POST", "/api/attempts/" + id + "/submission", {prediction: p, answers: state.answers}).then(function (r) {
        inFlight = false;
        if (r.ok) {
          finished = true;
          try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
          window.location.assign("/bai-thi/" + id + "/da-nop");
          return;
        }
        if ((r.status === 503 || r.status === 429) && r.retryAfter) {
          // The server is full at the deadline rush and says when to come back: within the grace period.
          setStatus("Hệ thống đang nhận nhiều bài cùng lúc; bài của bạn sẽ được gửi lại sau " + r.retryAfter + " giây.", true);
          setTimeout(submit, r.retryAfter * 1000);
          return;
        }
        refused(r);
      }, function () {
        inFlight = false;
        setStatus("Mất kết nối: bài sẽ được nộp ngay khi có mạng trở lại.", true);
      });
    }

    function tick() {
      var left = deadline - (Date.now() + skew);
      var box = form.ownerDocument.querySelector("[data-countdown]");
      box.hidden = false;
      box.querySelector("[data-remaining]").textContent = clock(left);
      box.classList.toggle("urgent", left < 60000);
      [300, 60].forEach(function (s) {
        if (left <= s * 1000 && left > (s - 5) * 1000 && !warned[s]) {
          warned[s] = true;
          setStatus("Còn " + (s / 60) + " phút.");
        }
      });
      if (left <= 0 && !state.submitting && !finished) {
        setStatus("Đã hết giờ: bài của bạn đang được nộp với các câu trả lời đã chọn.");
        submit();
      }
    }

    form.addEventListener("change", function (event) {
      var fieldset = event.target.closest(".question");
      if (finished) return;
      if (event.target === prediction) { state.prediction = prediction.value; store(); return; }
      if (!fieldset) return;
      state.answers[fieldset.getAttribute("data-question")] = chosen(fieldset);
      state.pending = true;
      version += 1;
      store();
      refreshMarks();
      schedule(600);
    });
    if (prediction) prediction.addEventListener("input", function () { state.prediction = prediction.value; store(); });
    form.addEventListener("click", function (event) {
      var target = event.target.closest("[data-goto],[data-step],[data-submit],[data-confirm-submit],[data-cancel],[data-save]");
      if (!target) return;
      if (target.hasAttribute("data-goto")) { event.preventDefault(); show(Number(target.getAttribute("data-goto")), true); }
      else if (target.hasAttribute("data-step")) show(current + Number(target.getAttribute("data-step")), true);
      else if (target.hasAttribute("data-save")) { event.preventDefault(); state.pending = true; version += 1; save(); }
      else if (target.hasAttribute("data-submit")) {
        event.preventDefault();
        form.querySelector("[data-first]").hidden = true;
        form.querySelector("[data-confirm]").hidden = false;
        form.querySelector("[data-confirm-submit]").focus();
      } else if (target.hasAttribute("data-cancel")) {
        form.querySelector("[data-first]").hidden = false;
        form.querySelector("[data-confirm]").hidden = true;
      } else { submit(); }
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    window.addEventListener("online", function () {
      setStatus("Đã có mạng trở lại, đang gửi…");
      if (state.submitting) submit(); else save();
    });
    window.addEventListener("offline", function () {
      setStatus("Mất kết nối: câu trả lời được giữ trên máy này và sẽ được gửi khi có mạng.", true);
    });
    // The online event does not come on every flaky connection: try again every few seconds too.
    setInterval(function () {
      if (finished || inFlight) return;
      if (state.submitting) submit(); else if (state.pending) save();
    }, 5000);

    [].slice.call(form.querySelectorAll(".step-nav")).forEach(function (p) { p.hidden = false; });
    form.querySelector("[data-save]").hidden = true;
    var start = /^#cau-(\d+)$/.exec(window.location.hash);
    show(start ? Number(start[1]) - 1 : (window.location.hash === "#tong-ket" ? questions.length : 0), false);
    refreshMarks();
    setStatus(state.pending ? "Có câu trả lời chưa được lưu, đang gửi…" : "Câu trả lời được lưu tự động.");
    setInterval(tick, 1000);
    tick();
    if (state.pending) save();
    if (kept && kept.submitting) submit();
  }
  /* Organisers' pages: participation by unit and an announcement's progress, refreshed every few
     seconds from the same JSON the services answer through /api (the cookie session, as above). */
  function figure(n) { return n === null || n === undefined ? "–" : Number(n).toLocaleString("vi-VN"); }
  function rate(r) {
    return r === null || r === undefined ? "–"
      : (r * 100).toLocaleString("vi-VN", {minimumFractionDigits: 1, maximumFractionDigits: 1}) + "%";
  }
  function stamp(status, ok) {
    if (status) status.textContent = ok ? "Đã cập nhật lúc " + new Date().toLocaleTimeString("vi-VN") + "."
      : "Chưa cập nhật được; sẽ thử lại sau ít giây.";
  }
  function liveStats(box) {
    var status = box.querySelector("[data-stats-status]");
    function fill(row, line) {
      if (!row || !line) return;
      [].slice.call(row.querySelectorAll("[data-k]")).forEach(function (cell) {
        var k = cell.getAttribute("data-k"), v = line[k];
        if (k === "participation_rate") cell.textContent = rate(v);
        else if (k === "band") cell.textContent = v || "–";
        else if (k === "average_score") cell.textContent = v === null || v === undefined ? "–" : String(v).replace(".", ",");
        else cell.textContent = figure(v);
      });
    }
    function chart(children) {
      var top = 0;
      children.forEach(function (c) { top = Math.max(top, (c.participation_rate || 0) * 100); });
      children.forEach(function (c, i) {
        var bar = box.querySelector('[data-bar="' + i + '"]');
        if (!bar) return;
        var percent = (c.participation_rate || 0) * 100, width = (top ? percent / top * 100 : 0) * 3.2;
        var label = bar.querySelector("[data-v]");
        bar.querySelector("rect").setAttribute("width", width.toFixed(1));
        label.setAttribute("x", (246 + width).toFixed(1));
        label.textContent = rate(c.participation_rate || 0);
      });
    }
    function refresh() {
      if (document.hidden) return;
      send("GET", box.getAttribute("data-stats")).then(function (r) {
        if (!r.ok || !r.data) { stamp(status, false); return; }
        fill(box.querySelector("dl[data-unit]"), r.data.unit);
        r.data.children.forEach(function (c) { fill(box.querySelector('tr[data-unit="' + c.code + '"]'), c); });
        chart(r.data.children);
        stamp(status, true);
      }, function () { stamp(status, false); });
    }
    setInterval(refresh, Number(box.getAttribute("data-every") || 5) * 1000);
  }
  function liveProgress(box) {
    var status = box.querySelector("[data-stats-status]"), was = box.getAttribute("data-status");
    setInterval(function () {
      if (document.hidden) return;
      send("GET", box.getAttribute("data-live-progress")).then(function (r) {
        if (!r.ok || !r.data) { stamp(status, false); return; }
        if (r.data.status !== was) { window.location.reload(); return; }  // sent or cancelled: the page says so
        [].slice.call(document.querySelectorAll("[data-progress]")).forEach(function (cell) {
          var key = cell.getAttribute("data-progress").split("."), line = r.data.channels_progress[key[0]];
          if (key[0] === "recipients") cell.textContent = figure(r.data.recipients);
          else if (line && key[1]) cell.textContent = figure(line[key[1]] || 0);
        });
        stamp(status, true);
      }, function () { stamp(status, false); });
    }, 5000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var stats = document.querySelector("[data-stats]"), progress = document.querySelector("[data-live-progress]");
    if (stats) liveStats(stats);
    if (progress) liveProgress(progress);
  });
})();
