/*
  Upload progress (progressive enhancement): a form with data-upload-progress is sent in the background so the
  page can show how much of the file has gone, in a <progress> bar and in words for screen readers (every 10%).
  Without this file the form posts as usual and works the same.
*/
(function () {
  'use strict';

  function connect(form) {
    var status = form.querySelector('[data-upload-status]');
    var bar = form.querySelector('[data-upload-bar]');
    var words = form.querySelector('[data-upload-words]');
    if (!status || !bar || !words || typeof window.FormData !== 'function' || typeof window.XMLHttpRequest !== 'function') {
      return;
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var button = form.querySelector('button[type="submit"], button:not([type])');
      if (button) button.disabled = true;
      status.hidden = false;
      bar.value = 0;
      var lastSaid = -1;
      var request = new XMLHttpRequest();
      request.open('POST', form.action);
      request.setRequestHeader('Accept', 'text/html');
      request.upload.addEventListener('progress', function (progress) {
        if (!progress.lengthComputable) return;
        var percent = Math.floor((progress.loaded / progress.total) * 100);
        bar.value = percent;
        var tenth = Math.floor(percent / 10);
        if (tenth !== lastSaid) {
          lastSaid = tenth;
          words.textContent = percent + '% sent';
        }
      });
      request.addEventListener('load', function () {
        if (request.status >= 200 && request.status < 300 && request.responseURL) {
          window.location.assign(request.responseURL);
          return;
        }
        // A refusal: show the page the server sent (the form with the message), as a normal post would.
        document.open();
        document.write(request.responseText);
        document.close();
      });
      request.addEventListener('error', function () {
        if (button) button.disabled = false;
        words.textContent = 'The upload stopped. Check your connection and try again.';
      });
      request.send(new FormData(form));
    });
  }

  var forms = document.querySelectorAll('form[data-upload-progress]');
  for (var i = 0; i < forms.length; i += 1) connect(forms[i]);
})();
