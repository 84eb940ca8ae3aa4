/* 网上党校 — lesson heartbeats and QR sign-in confirmation. No external resources.
 *
 * The lesson page reports every few seconds whether it is visible and in use; the server
 * decides what counts from its own clock, so nothing here can add study time by itself. */
(function () {
  "use strict";

  var STATES = {
    counting: "正在计时：页面在前台且您在学习。",
    started: "已开始计时。",
    taken_over: "已切换到本页计时，其他打开的课时页面停止计时。",
    hidden: "页面在后台，暂停计时。",
    idle: "较长时间没有操作，暂停计时；动一动鼠标或继续播放视频即可恢复。",
    replay: "正在计时。",
    outside_class: "培训班不在开课日期内，学习时间不计入学时。"
  };

  function formatDuration(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + " 小时 " : "") + m + " 分 " + s + " 秒";
  }

  function setProgress(bar, value, max) {
    if (!bar) return;
    bar.max = max;
    bar.value = Math.min(value, max);
    bar.classList.toggle("done", value >= max);
  }

  function startLesson(root) {
    var url = root.dataset.heartbeatUrl;
    var token = root.dataset.pageToken;
    var interval = Math.max(Number(root.dataset.interval) || 30, 1) * 1000;
    var activeWindow = (Number(root.dataset.activeWindow) || 60) * 1000;
    var csrf = document.querySelector('meta[name="csrf-token"]').content;
    var video = root.querySelector("video");
    var stateLine = root.querySelector("[data-study-state]");
    var sequence = 0;
    var lastInput = Date.now();
    var timer = null;
    var stopped = false;

    function touch() { lastInput = Date.now(); }
    ["mousemove", "mousedown", "keydown", "scroll", "wheel", "touchstart", "pointerdown"]
      .forEach(function (name) { window.addEventListener(name, touch, { passive: true }); });

    function isPlaying() { return video && !video.paused && !video.ended; }
    // Whether the video played at all since the last beat; the server times how long.
    var playedSinceBeat = false;
    if (video) video.addEventListener("timeupdate", function () { if (isPlaying()) playedSinceBeat = true; });
    function isActive() { return isPlaying() || Date.now() - lastInput < activeWindow; }

    if (video && Number(video.dataset.resume) > 0) {
      video.addEventListener("loadedmetadata", function () {
        if (video.currentTime < 1) video.currentTime = Number(video.dataset.resume);
      }, { once: true });
    }

    function show(text, isError) {
      if (!stateLine) return;
      stateLine.textContent = text;
      stateLine.classList.toggle("error", Boolean(isError));
    }

    function update(answer) {
      var lessonTime = root.querySelector("[data-lesson-seconds]");
      if (lessonTime) {
        lessonTime.dataset.lessonSeconds = answer.lesson_seconds;
        lessonTime.textContent = formatDuration(answer.lesson_seconds);
      }
      setProgress(root.querySelector("[data-lesson-progress]"), answer.lesson_seconds,
        answer.lesson_required_seconds);
      setProgress(root.querySelector("[data-class-progress]"), answer.class_hours,
        answer.class_required_hours);
      var fields = {
        "[data-class-hours]": answer.class_hours,
        "[data-online-hours]": answer.online_hours,
        "[data-offline-hours]": answer.offline_hours
      };
      Object.keys(fields).forEach(function (selector) {
        var element = root.querySelector(selector);
        if (element) element.textContent = fields[selector].toFixed(2);
      });
      var share = root.querySelector("[data-video-share]");
      if (share && answer.video_seconds) {
        var percent = Math.min(100, Math.floor(answer.video_watched_seconds * 100 / answer.video_seconds));
        share.textContent = percent + "%";
        setProgress(root.querySelector("[data-video-progress]"), answer.video_watched_seconds, answer.video_seconds);
      }
      show(STATES[answer.state] || "");
    }

    function stop(message) {
      stopped = true;
      pause();
      show(message, true);
    }

    function beat() {
      if (stopped) return;
      sequence += 1;
      var body = {
        page_token: token,
        sequence: sequence,
        visible: document.visibilityState === "visible",
        active: isActive()
      };
      if (video) {
        body.video_position = Math.floor(video.currentTime || 0);
        body.playing = playedSinceBeat || isPlaying();
        playedSinceBeat = false;
      }
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body),
        keepalive: true
      }).then(function (response) {
        if (response.status === 401 || response.status === 403) {
          stop("登录已失效，请重新登录后继续学习。");
          return null;
        }
        if (response.status === 400 || response.status === 404) {
          stop("本页已失效，请刷新页面后继续学习。");
          return null;
        }
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }).then(function (answer) {
        if (answer) update(answer);
      }).catch(function () {
        show("暂时无法连接服务器，恢复后将继续计时。", true);
      });
    }

    function resume() {
      if (timer !== null || stopped) return;
      beat();
      timer = window.setInterval(beat, interval);
    }

    function pause() {
      if (timer === null) return;
      window.clearInterval(timer);
      timer = null;
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        touch();
        resume();
      } else {
        pause();
        beat(); // tells the server at once that this page is hidden: nothing counts from now
      }
    });
    if (video) {
      video.addEventListener("play", touch);
      video.addEventListener("pause", touch);
    }
    if (document.visibilityState === "visible") resume();
    else show(STATES.hidden);
  }

  function autoSubmit(form) {
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    form.submit();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-study]");
    if (root) startLesson(root);
    var signIn = document.querySelector("form[data-autosubmit]");
    if (signIn) autoSubmit(signIn);
  });
})();
