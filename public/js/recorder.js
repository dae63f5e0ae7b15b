/*
  Recording a clip in the browser (progressive enhancement): where the browser has MediaRecorder, the upload
  page shows a Record section (hidden otherwise). Start/Stop is one button whose words say what it will do;
  the state is said in a status line (once per change, not every second). The recording is played back only
  when the person presses play, and is sent through the same upload route as the file input, with the same
  checks. The file input always works, with or without this.
*/
(function () {
  'use strict';

  var box = document.querySelector('[data-recorder]');
  var form = document.querySelector('form[data-upload-progress]');
  if (!box || !form) return;
  if (typeof window.MediaRecorder !== 'function' || !navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') return;

  var toggle = box.querySelector('[data-recorder-toggle]');
  var statusLine = box.querySelector('[data-recorder-status]');
  var clock = box.querySelector('[data-recorder-time]');
  var result = box.querySelector('[data-recorder-result]');
  var previewSlot = box.querySelector('[data-recorder-preview]');
  var sendButton = box.querySelector('[data-recorder-upload]');
  var againButton = box.querySelector('[data-recorder-again]');
  var bar = box.querySelector('[data-recorder-bar]');
  var barBox = box.querySelector('[data-recorder-bar-box]');
  var csrf = form.querySelector('input[name="_csrf"]');
  if (!toggle || !statusLine || !clock || !result || !previewSlot || !sendButton || !againButton || !bar || !barBox || !csrf) return;

  box.hidden = false;
  var recorder = null;
  var stream = null;
  var chunks = [];
  var recording = null;
  var kind = 'audio';
  var startedAt = 0;
  var ticker = 0;

  function say(words) {
    statusLine.textContent = words;
  }

  function chosenKind() {
    var checked = box.querySelector('input[name="record-kind"]:checked');
    return checked && checked.value === 'video' ? 'video' : 'audio';
  }

  function minutesAndSeconds(ms) {
    var total = Math.floor(ms / 1000);
    var seconds = total % 60;
    return Math.floor(total / 60) + ':' + (seconds < 10 ? '0' : '') + seconds;
  }

  function stopTracks() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
  }

  function clearRecording() {
    recording = null;
    chunks = [];
    previewSlot.textContent = '';
    result.hidden = true;
    barBox.hidden = true;
  }

  function extensionFor(type) {
    if (type.indexOf('mp4') !== -1) return kind === 'video' ? 'mp4' : 'm4a';
    if (type.indexOf('ogg') !== -1) return 'ogg';
    return 'webm';
  }

  function start() {
    clearRecording();
    kind = chosenKind();
    toggle.disabled = true;
    say(kind === 'video' ? 'Asking to use your camera and microphone.' : 'Asking to use your microphone.');
    navigator.mediaDevices
      .getUserMedia(kind === 'video' ? { audio: true, video: true } : { audio: true })
      .then(function (opened) {
        stream = opened;
        recorder = new window.MediaRecorder(stream);
        recorder.addEventListener('dataavailable', function (event) {
          if (event.data && event.data.size > 0) chunks.push(event.data);
        });
        recorder.addEventListener('stop', finished);
        recorder.start(1000);
        startedAt = Date.now();
        clock.textContent = '0:00';
        ticker = window.setInterval(function () { clock.textContent = minutesAndSeconds(Date.now() - startedAt); }, 1000);
        toggle.textContent = 'Stop recording';
        toggle.disabled = false;
        toggle.focus();
        say(kind === 'video' ? 'Recording sound and picture. Press Stop recording when you are done.' : 'Recording sound. Press Stop recording when you are done.');
      })
      .catch(function () {
        toggle.disabled = false;
        say('The browser did not let this page use the ' + (kind === 'video' ? 'camera or microphone' : 'microphone') + '. You can still choose a file below.');
      });
  }

  function stop() {
    if (recorder && recorder.state !== 'inactive') recorder.stop();
    window.clearInterval(ticker);
    toggle.disabled = true;
  }

  function finished() {
    stopTracks();
    var type = (recorder && recorder.mimeType) || (kind === 'video' ? 'video/webm' : 'audio/webm');
    recording = new Blob(chunks, { type: type });
    recorder = null;
    var player = document.createElement(kind === 'video' ? 'video' : 'audio');
    player.controls = true;
    player.preload = 'metadata';
    player.className = 'media-player';
    player.src = URL.createObjectURL(recording);
    previewSlot.appendChild(player);
    result.hidden = false;
    toggle.textContent = 'Start recording';
    toggle.disabled = false;
    say('Recorded ' + minutesAndSeconds(Date.now() - startedAt) + '. Play it back if you like, then upload it or record again.');
    sendButton.focus();
  }

  function send() {
    if (!recording) return;
    sendButton.disabled = true;
    againButton.disabled = true;
    toggle.disabled = true;
    barBox.hidden = false;
    bar.value = 0;
    var data = new FormData();
    data.append('_csrf', csrf.value);
    data.append('kind', kind);
    var stamp = new Date().toISOString().slice(0, 16).replace(/[T:]/g, '-');
    data.append('file', recording, 'recording-' + stamp + '.' + extensionFor(recording.type));
    var request = new XMLHttpRequest();
    request.open('POST', form.action);
    request.setRequestHeader('Accept', 'text/html');
    var lastTenth = -1;
    request.upload.addEventListener('progress', function (progress) {
      if (!progress.lengthComputable) return;
      var percent = Math.floor((progress.loaded / progress.total) * 100);
      bar.value = percent;
      if (Math.floor(percent / 10) !== lastTenth) {
        lastTenth = Math.floor(percent / 10);
        say('Uploading the recording: ' + percent + '% sent.');
      }
    });
    request.addEventListener('load', function () {
      if (request.status >= 200 && request.status < 300 && request.responseURL) {
        window.location.assign(request.responseURL);
        return;
      }
      // A refusal: the page the server sent, with its message, as the file input's upload shows it.
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener('error', function () {
      sendButton.disabled = false;
      againButton.disabled = false;
      toggle.disabled = false;
      say('The upload stopped. Check your connection and try again.');
    });
    request.send(data);
  }

  toggle.addEventListener('click', function () {
    if (recorder) stop();
    else start();
  });
  sendButton.addEventListener('click', send);
  againButton.addEventListener('click', function () {
    clearRecording();
    say('Not recording.');
    toggle.focus();
  });
})();
