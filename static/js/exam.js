// The exam page: answers are saved as they are given; while the network is down they wait in
// this page and in localStorage, marked unsaved, and go out when it returns, each with the time
// it was given (by the server's clock as this page keeps it). The server keeps the deadline and
// decides what a late answer counts for; this page only shows it. Nothing is submitted while an
// answer the trainee gave is still only here, unless the deadline has passed — then the answers
// go out as soon as the network allows, and the page says which arrived late.
(function () {
  "use strict";
  const root = document.getElementById("exam");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const apiBase = root.dataset.apiBase;
  const list = root.querySelector(".questions");
  const saveState = root.querySelector(".save-state");
  const timer = root.querySelector(".timer");
  const navigator_ = document.getElementById("navigator");
  const notice = document.getElementById("exam-notice");
  const confirmBox = document.getElementById("confirm-submit");
  const resultBox = document.getElementById("result");
  const submitButton = document.getElementById("submit-exam");
  const RETRY_MS = 3000;
  let attempt = null;
  let clockOffset = 0;
  let pending = {}; // question id -> {response, at}
  let refused = {}; // question id -> why the server will not take this answer
  let saved = {}; // question id -> the response the server holds
  let inFlight = null;
  let finished = false;
  let deadlinePassed = false;
  let retryTimer = null;

  function request(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch(function () {
      const error = new Error("网络连接失败");
      error.network = true;
      throw error;
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          const error = new Error(data.message || "服务器暂时无法处理（" + response.status + "）");
          error.status = response.status;
          error.code = data.error;
          throw error;
        }
        return data;
      });
    });
  }

  function serverNow() { return new Date(Date.now() + clockOffset).toISOString(); }
  function storageKey() { return "exam-pending-" + attempt.attempt_id; }
  function remember() { localStorage.setItem(storageKey(), JSON.stringify(pending)); }
  function numberOf(id) {
    return attempt.questions.findIndex(function (q) { return String(q.question_id) === String(id); }) + 1;
  }
  function numbers(ids) {
    return ids.map(numberOf).sort(function (a, b) { return a - b; }).map(function (n) { return "第 " + n + " 题"; }).join("、");
  }
  function isAnswered(response) {
    if (response === null || response === undefined) return false;
    if (typeof response === "string") return response.trim() !== "";
    if (Array.isArray(response)) return response.some(function (part) { return typeof part === "number" || (typeof part === "string" && part.trim() !== ""); });
    return true;
  }
  function currentResponse(id) { return id in pending ? pending[id].response : saved[id]; }

  function showState() {
    const count = Object.keys(pending).length;
    if (finished) { saveState.textContent = "已交卷"; saveState.className = "save-state done"; }
    else if (count === 0) { saveState.textContent = "全部答案已保存"; saveState.className = "save-state saved"; }
    else { saveState.textContent = count + " 题未保存" + (navigator.onLine ? "，正在保存…" : "（网络已断开，恢复后自动提交）"); saveState.className = "save-state unsaved"; }
    if (!attempt) return;
    list.querySelectorAll("li[data-question-id]").forEach(function (item) {
      const id = item.dataset.questionId;
      item.classList.toggle("unsaved", !finished && id in pending);
      const why = item.querySelector(".refused");
      why.hidden = !(id in refused);
      why.textContent = refused[id] || "";
    });
    navigator_.querySelectorAll("a[data-question-id]").forEach(function (link) {
      const id = link.dataset.questionId;
      const state = id in pending && !finished ? "unsaved" : isAnswered(currentResponse(id)) ? "answered" : "unanswered";
      link.className = state;
      link.title = { unsaved: "未保存", answered: "已作答", unanswered: "未作答" }[state];
    });
  }

  function say(text, testid) {
    notice.hidden = !text;
    notice.textContent = text || "";
    notice.dataset.testid = testid || "exam-notice";
  }

  // Send one pending answer; resolves when the server holds it (or refused it for good).
  function sendOne(id) {
    const entry = pending[id];
    return request("PUT", apiBase + "/attempts/" + attempt.attempt_id + "/answers/" + id,
      { response: entry.response, answered_at: entry.at })
      .then(function (reply) {
        if (pending[id] === entry) { delete pending[id]; saved[id] = entry.response; }
        delete refused[id];
        if (reply.is_late) attempt.hasLate = true;
        remember();
      })
      .catch(function (error) {
        if (error.status === 400 || error.status === 404) refused[id] = error.message;
        throw error;
      });
  }

  // Send every pending answer once, one at a time; resolves to the ids that could not be sent.
  function sendAll() {
    const waitFor = inFlight || Promise.resolve();
    return waitFor.then(function () {
      const failed = [];
      let chain = Promise.resolve();
      let lastError = null;
      Object.keys(pending).forEach(function (id) {
        chain = chain.then(function () {
          if (!(id in pending)) return null;
          return sendOne(id).catch(function (error) { failed.push(id); lastError = error; });
        });
      });
      return chain.then(function () {
        showState();
        return { failed: failed, error: lastError };
      });
    });
  }

  // Background saving while the trainee works.
  function flush() {
    if (inFlight || finished || !attempt) return;
    const ids = Object.keys(pending).filter(function (id) { return !(id in refused); });
    if (ids.length === 0) { showState(); return; }
    inFlight = sendOne(ids[0]).then(function () {
      inFlight = null;
      showState();
      flush();
    }, function (error) {
      inFlight = null;
      showState();
      if (error.status === 409) { finish(); return; }
      clearTimeout(retryTimer);
      retryTimer = setTimeout(flush, RETRY_MS);
    });
  }

  function responseOf(item) {
    const type = item.dataset.type;
    if (type === "single" || type === "true_false") {
      const checked = item.querySelector("input:checked");
      if (!checked) return null;
      return type === "single" ? Number(checked.value) : checked.value === "true";
    }
    if (type === "multiple") {
      return Array.from(item.querySelectorAll("input:checked")).map(function (box) { return Number(box.value); });
    }
    if (type === "fill") {
      return Array.from(item.querySelectorAll("input")).map(function (input) { return input.value; });
    }
    return item.querySelector("textarea").value;
  }

  const debounce = {};
  function changed(item, immediately) {
    if (finished || deadlinePassed) return;
    const id = item.dataset.questionId;
    const response = responseOf(item);
    // A textarea's change event repeats on blur what input already sent: nothing new to save.
    if (!(id in pending) && JSON.stringify(response) === JSON.stringify(saved[id])) return;
    pending[id] = { response: response, at: serverNow() };
    delete refused[id];
    remember();
    showState();
    clearTimeout(debounce[id]);
    debounce[id] = setTimeout(flush, immediately ? 0 : 800);
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function choice(name, type, value, label, checked) {
    const wrapper = element("label", { class: "option" });
    const input = element("input", { type: type, name: name, value: String(value) });
    input.checked = checked;
    wrapper.appendChild(input);
    wrapper.appendChild(document.createTextNode(" " + label));
    return wrapper;
  }

  const TYPE_LABELS = { single: "单选题", multiple: "多选题", true_false: "判断题", fill: "填空题", essay: "简答题" };

  function render(state) {
    list.textContent = "";
    navigator_.textContent = "";
    state.questions.forEach(function (question, index) {
      const id = String(question.question_id);
      const value = currentResponse(id);
      const item = element("li", { "data-question-id": id, "data-type": question.type, id: "question-" + (index + 1) });
      item.appendChild(element("p", { class: "stem" }, "【" + TYPE_LABELS[question.type] + "，" + question.points + " 分】" + question.stem));
      const name = "q" + id;
      if (question.type === "single" || question.type === "multiple") {
        question.options.forEach(function (option, optionIndex) {
          const isChecked = question.type === "single" ? value === optionIndex : Array.isArray(value) && value.indexOf(optionIndex) >= 0;
          item.appendChild(choice(name, question.type === "single" ? "radio" : "checkbox", optionIndex, String.fromCharCode(65 + optionIndex) + ". " + option, isChecked));
        });
      } else if (question.type === "true_false") {
        item.appendChild(choice(name, "radio", "true", "正确", value === true));
        item.appendChild(choice(name, "radio", "false", "错误", value === false));
      } else if (question.type === "fill") {
        for (let blank = 0; blank < question.blanks; blank++) {
          const input = element("input", { type: "text", maxlength: "500", "aria-label": "第 " + (blank + 1) + " 空" });
          input.value = Array.isArray(value) && value[blank] ? value[blank] : "";
          item.appendChild(input);
        }
      } else {
        const area = element("textarea", { rows: "6", maxlength: "20000", "aria-label": "作答" });
        area.value = typeof value === "string" ? value : "";
        item.appendChild(area);
      }
      const why = element("p", { class: "refused", role: "alert" });
      why.hidden = true;
      item.appendChild(why);
      item.addEventListener("change", function () { changed(item, true); });
      item.addEventListener("input", function (event) {
        if (event.target.tagName === "TEXTAREA" || event.target.type === "text") changed(item, false);
      });
      list.appendChild(item);
      const link = element("a", { href: "#question-" + (index + 1), "data-question-id": id, "aria-label": "第 " + (index + 1) + " 题" }, String(index + 1));
      navigator_.appendChild(link);
    });
    navigator_.hidden = false;
  }

  function tick() {
    if (!attempt || finished) return;
    const left = Math.max(0, Date.parse(attempt.deadline_at) - (Date.now() + clockOffset));
    const minutes = Math.floor(left / 60000);
    const seconds = Math.floor((left % 60000) / 1000);
    timer.textContent = "剩余时间 " + minutes + ":" + String(seconds).padStart(2, "0");
    if (left <= 0) { timeUp(); return; }
    setTimeout(tick, 500);
  }

  function lock() {
    list.querySelectorAll("input, textarea").forEach(function (input) { input.disabled = true; });
  }

  function showResult(state) {
    finished = true;
    confirmBox.hidden = true;
    say("");
    lock();
    submitButton.hidden = true;
    resultBox.hidden = false;
    resultBox.textContent = "";
    resultBox.appendChild(element("h2", {}, "已交卷"));
    const result = state.result || {};
    if (result.score === null || result.score === undefined) {
      resultBox.appendChild(element("p", { "data-testid": "result" }, "成绩将由教师公布。"));
    } else {
      let text = "得分：" + result.score + " / " + result.max_score;
      if (result.passed === true) text += "，合格";
      if (result.passed === false) text += "，不合格";
      if (result.is_fully_graded === false) text += "（主观题待教师评阅）";
      resultBox.appendChild(element("p", { "data-testid": "result" }, text));
    }
    const late = (state.late || []).filter(function (entry) { return !entry.is_accepted; });
    if (late.length) {
      resultBox.appendChild(element("p", { "data-testid": "late", class: "late" },
        late.length + " 题在截止后才送达（" + numbers(late.map(function (entry) { return entry.question_id; })) +
        "）：答案已保存，经教师确认后才计入成绩。"));
    }
    const unsent = Object.keys(pending);
    if (unsent.length) {
      resultBox.appendChild(element("p", { "data-testid": "unsent", class: "late" },
        numbers(unsent) + "的答案未能送达服务器，未计入成绩。"));
    } else {
      localStorage.removeItem(storageKey());
    }
    const review = element("p");
    const link = element("a", { href: root.dataset.reviewUrl.replace("ATTEMPT", attempt.attempt_id), "data-testid": "review-link" }, "查看我的答卷");
    review.appendChild(link);
    review.appendChild(document.createTextNode("（成绩与答卷也可在「我的考试」中查看）"));
    resultBox.appendChild(review);
    showState();
  }

  function finish() {
    return request("GET", apiBase + "/attempts/" + attempt.attempt_id).then(function (state) {
      attempt.questions = state.questions;
      showResult(state);
    });
  }

  function postSubmit() {
    return request("POST", apiBase + "/attempts/" + attempt.attempt_id + "/submit").then(showResult);
  }

  function unsavedMessage(outcome) {
    const ids = outcome.failed;
    const reasons = ids.filter(function (id) { return id in refused; }).map(function (id) { return "第 " + numberOf(id) + " 题：" + refused[id]; });
    let text = numbers(ids) + "的答案未能保存" + (outcome.error && outcome.error.network ? "（网络连接失败）" : "") + "。";
    if (reasons.length) text += reasons.join("；") + "。";
    return text;
  }

  // The trainee asks to submit: every unsaved answer goes out first; if one does not, say which
  // and do not submit.
  function submitNow() {
    if (finished) return;
    submitButton.disabled = true;
    confirmBox.hidden = true;
    say("正在保存答案并交卷…");
    sendAll().then(function (outcome) {
      if (outcome.failed.length) {
        say(unsavedMessage(outcome) + "试卷尚未提交，请检查网络后再次交卷。", "unsaved-at-submit");
        submitButton.disabled = false;
        return null;
      }
      return postSubmit();
    }).catch(function (error) {
      if (error.status === 409) return finish();
      say("交卷失败：" + error.message + "。答案保存在本页，请检查网络后重试。", "unsaved-at-submit");
      submitButton.disabled = false;
    });
  }

  // The deadline passed: no more changes; what the trainee gave goes out as soon as it can and
  // the server decides whether it counts.
  function timeUp() {
    if (finished) return;
    deadlinePassed = true;
    lock();
    submitButton.disabled = true;
    confirmBox.hidden = true;
    sendAll().then(function (outcome) {
      if (outcome.failed.length && outcome.failed.some(function (id) { return !(id in refused); })) {
        throw outcome.error || new Error("网络连接失败");
      }
      return postSubmit();
    }).catch(function (error) {
      if (finished) return null;
      if (error.status === 409) return finish();
      const count = Object.keys(pending).length;
      say("考试时间已到。" + (error.network ? "网络已断开，" : error.message + "，") +
        (count ? count + " 题的答案保存在本页，" : "") + "网络恢复后将自动交卷，请不要关闭本页。", "offline-at-deadline");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(timeUp, RETRY_MS);
    });
  }

  function askToSubmit() {
    if (finished) return;
    const open = attempt.questions.filter(function (q) { return !isAnswered(currentResponse(String(q.question_id))); });
    confirmBox.textContent = "";
    if (open.length) {
      confirmBox.appendChild(element("p", { "data-testid": "unanswered" }, "还有 " + open.length + " 题未作答："));
      const links = element("ul", { class: "unanswered" });
      open.forEach(function (q) {
        const n = numberOf(q.question_id);
        const li = element("li");
        li.appendChild(element("a", { href: "#question-" + n }, "第 " + n + " 题"));
        links.appendChild(li);
      });
      confirmBox.appendChild(links);
    } else {
      confirmBox.appendChild(element("p", { "data-testid": "unanswered" }, "全部题目均已作答。"));
    }
    const unsaved = Object.keys(pending).length;
    if (unsaved) confirmBox.appendChild(element("p", {}, unsaved + " 题尚未保存，交卷前将再次发送。"));
    confirmBox.appendChild(element("p", {}, "交卷后不能再修改答案。确定交卷吗？"));
    const yes = element("button", { type: "button", class: "primary", id: "confirm-submit-yes" }, "确认交卷");
    const no = element("button", { type: "button" }, "继续作答");
    yes.addEventListener("click", submitNow);
    no.addEventListener("click", function () { confirmBox.hidden = true; });
    confirmBox.appendChild(yes);
    confirmBox.appendChild(document.createTextNode(" "));
    confirmBox.appendChild(no);
    confirmBox.hidden = false;
    confirmBox.scrollIntoView({ block: "nearest" });
  }

  submitButton.addEventListener("click", askToSubmit);
  window.addEventListener("online", function () { showState(); if (deadlinePassed) timeUp(); else flush(); });
  window.addEventListener("offline", showState);
  setInterval(function () { if (!deadlinePassed) flush(); }, 15000);

  request("POST", root.dataset.startUrl).then(function (state) {
    attempt = state;
    clockOffset = Date.parse(state.server_now) - Date.now();
    saved = Object.assign({}, state.answers);
    pending = JSON.parse(localStorage.getItem(storageKey()) || "{}");
    Object.keys(pending).forEach(function (id) {
      // Kept by an earlier version of this page: the bare response, with no time.
      if (!pending[id] || typeof pending[id] !== "object" || !("response" in pending[id])) pending[id] = { response: pending[id], at: null };
    });
    render(state);
    if (state.status === "submitted") {
      if (Object.keys(pending).length) { deadlinePassed = true; timeUp(); return; }
      showResult(state);
      return;
    }
    showState();
    flush();
    tick();
  }).catch(function (error) {
    saveState.textContent = error.message;
    saveState.className = "save-state unsaved";
    submitButton.hidden = true;
  });
})();
