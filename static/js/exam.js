// The exam page: answers are saved as they are given; while the network is down they wait in
// this page and in localStorage, marked unsaved, and go out when it returns. The server keeps
// the deadline; this page only shows it.
(function () {
  "use strict";
  const root = document.getElementById("exam");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const apiBase = root.dataset.apiBase;
  const list = root.querySelector(".questions");
  const saveState = root.querySelector(".save-state");
  const timer = root.querySelector(".timer");
  const resultBox = document.getElementById("result");
  const submitButton = document.getElementById("submit-exam");
  let attempt = null;
  let clockOffset = 0;
  let pending = {};
  let inFlight = false;
  let finished = false;
  let retryTimer = null;

  function request(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          const error = new Error(data.message || "请求失败");
          error.status = response.status;
          error.code = data.error;
          throw error;
        }
        return data;
      });
    });
  }

  function storageKey() { return "exam-pending-" + attempt.attempt_id; }
  function remember() { localStorage.setItem(storageKey(), JSON.stringify(pending)); }

  function showState() {
    const count = Object.keys(pending).length;
    if (finished) { saveState.textContent = "已交卷"; saveState.className = "save-state done"; }
    else if (count === 0) { saveState.textContent = "全部答案已保存"; saveState.className = "save-state saved"; }
    else { saveState.textContent = count + " 题未保存" + (navigator.onLine ? "，正在保存…" : "（网络已断开，恢复后自动提交）"); saveState.className = "save-state unsaved"; }
    list.querySelectorAll("li[data-question-id]").forEach(function (item) {
      item.classList.toggle("unsaved", item.dataset.questionId in pending);
    });
  }

  function flush() {
    if (inFlight || finished || !attempt) return Promise.resolve();
    const ids = Object.keys(pending);
    if (ids.length === 0) { showState(); return Promise.resolve(); }
    inFlight = true;
    const id = ids[0];
    const value = pending[id];
    return request("PUT", apiBase + "/attempts/" + attempt.attempt_id + "/answers/" + id, { response: value })
      .then(function () {
        if (JSON.stringify(pending[id]) === JSON.stringify(value)) delete pending[id];
        remember();
        inFlight = false;
        showState();
        return flush();
      })
      .catch(function (error) {
        inFlight = false;
        if (error.status === 409) { return finish(); }
        showState();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(flush, 3000);
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

  let debounce = {};
  function changed(item, immediately) {
    const id = item.dataset.questionId;
    pending[id] = responseOf(item);
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
    state.questions.forEach(function (question) {
      const id = String(question.question_id);
      const saved = id in pending ? pending[id] : state.answers[id];
      const item = element("li", { "data-question-id": id, "data-type": question.type });
      item.appendChild(element("p", { class: "stem" }, "【" + TYPE_LABELS[question.type] + "，" + question.points + " 分】" + question.stem));
      const name = "q" + id;
      if (question.type === "single" || question.type === "multiple") {
        question.options.forEach(function (option, index) {
          const isChecked = question.type === "single" ? saved === index : Array.isArray(saved) && saved.indexOf(index) >= 0;
          item.appendChild(choice(name, question.type === "single" ? "radio" : "checkbox", index, String.fromCharCode(65 + index) + ". " + option, isChecked));
        });
      } else if (question.type === "true_false") {
        item.appendChild(choice(name, "radio", "true", "正确", saved === true));
        item.appendChild(choice(name, "radio", "false", "错误", saved === false));
      } else if (question.type === "fill") {
        for (let blank = 0; blank < question.blanks; blank++) {
          const input = element("input", { type: "text", "aria-label": "第 " + (blank + 1) + " 空" });
          input.value = Array.isArray(saved) && saved[blank] ? saved[blank] : "";
          item.appendChild(input);
        }
      } else {
        const area = element("textarea", { rows: "6", "aria-label": "作答" });
        area.value = typeof saved === "string" ? saved : "";
        item.appendChild(area);
      }
      item.addEventListener("change", function () { changed(item, true); });
      item.addEventListener("input", function (event) {
        if (event.target.tagName === "TEXTAREA" || event.target.type === "text") changed(item, false);
      });
      list.appendChild(item);
    });
  }

  function tick() {
    if (!attempt || finished) return;
    const left = Math.max(0, Date.parse(attempt.deadline_at) - (Date.now() + clockOffset));
    const minutes = Math.floor(left / 60000);
    const seconds = Math.floor((left % 60000) / 1000);
    timer.textContent = "剩余时间 " + minutes + ":" + String(seconds).padStart(2, "0");
    if (left <= 0) { submit(); return; }
    setTimeout(tick, 500);
  }

  function showResult(state) {
    finished = true;
    list.querySelectorAll("input, textarea").forEach(function (input) { input.disabled = true; });
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
    if (result.key) resultBox.appendChild(element("p", {}, "考试结束后可查看标准答案。"));
    localStorage.removeItem(storageKey());
    showState();
  }

  function finish() {
    return request("GET", apiBase + "/attempts/" + attempt.attempt_id).then(showResult);
  }

  function submit() {
    if (finished) return;
    submitButton.disabled = true;
    flush().then(function () {
      return request("POST", apiBase + "/attempts/" + attempt.attempt_id + "/submit");
    }).then(showResult).catch(function (error) {
      submitButton.disabled = false;
      saveState.textContent = "交卷失败：" + error.message + "，请检查网络后重试";
      saveState.className = "save-state unsaved";
    });
  }

  submitButton.addEventListener("click", function () {
    if (window.confirm("确定交卷吗？交卷后不能再修改答案。")) submit();
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", showState);
  setInterval(flush, 15000);

  request("POST", root.dataset.startUrl).then(function (state) {
    attempt = state;
    clockOffset = Date.parse(state.server_now) - Date.now();
    pending = JSON.parse(localStorage.getItem(storageKey()) || "{}");
    render(state);
    if (state.status === "submitted") { showResult(state); return; }
    showState();
    flush();
    tick();
  }).catch(function (error) {
    saveState.textContent = error.message;
    saveState.className = "save-state unsaved";
    submitButton.hidden = true;
  });
})();
