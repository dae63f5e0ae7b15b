/*
  Reflections save themselves as the person types (progressive enhancement).
  Without this file the form still works: "Save my reflection" posts it and the page comes back.
  With it: a short pause after typing sends the text with fetch (CSRF token in the x-csrf-token header),
  and the status line says "Saved at 14:05" quietly. Nothing moves or pops up.
*/
(function () {
  'use strict';

  var PAUSE_MS = 1500;

  function timeNow() {
    var now = new Date();
    var hours = String(now.getHours()).padStart(2, '0');
    var minutes = String(now.getMinutes()).padStart(2, '0');
    return hours + ':' + minutes;
  }

  function connect(form) {
    var textarea = form.querySelector('textarea[name="reflection"]');
    var status = form.querySelector('[data-autosave-status]');
    var tokenInput = form.querySelector('input[name="_csrf"]');
    if (!textarea || !status || !tokenInput || typeof window.fetch !== 'function') {
      return;
    }
    var timer = null;
    var lastSaved = textarea.value;
    var saving = false;
    var again = false;

    function save() {
      if (textarea.value === lastSaved) {
        return;
      }
      if (saving) {
        again = true;
        return;
      }
      saving = true;
      var text = textarea.value;
      var body = new URLSearchParams(new FormData(form));
      window
        .fetch(form.action, {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            Accept: 'application/json',
            'Content-Type': 'application/x-www-form-urlencoded',
            'x-csrf-token': tokenInput.value,
          },
          body: body.toString(),
        })
        .then(function (response) {
          if (!response.ok) {
            throw new Error('Not saved');
          }
          lastSaved = text;
          status.textContent = 'Saved at ' + timeNow();
        })
        .catch(function () {
          status.textContent = 'Not saved yet. Use the "Save my reflection" button.';
        })
        .then(function () {
          saving = false;
          if (again) {
            again = false;
            save();
          }
        });
    }

    textarea.addEventListener('input', function () {
      if (timer) {
        window.clearTimeout(timer);
      }
      timer = window.setTimeout(save, PAUSE_MS);
    });
    textarea.addEventListener('blur', save);
  }

  function start() {
    var forms = document.querySelectorAll('form[data-reflection-autosave]');
    for (var i = 0; i < forms.length; i += 1) {
      connect(forms[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
