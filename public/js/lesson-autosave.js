/*
  The lesson editor saves itself while the person writes (progressive enhancement).
  Without this file the form still works: "Save the lesson" posts it and the page comes back.
  With it: a pause after typing posts the same form with fetch (Accept: JSON). The answer carries the new
  hash of the lesson, which becomes the form's base, so the next save (by hand or automatic) starts from it.
  If someone else saved the lesson meanwhile, the answer is 409: autosave stops and the status line says to
  press Save, which shows both texts side by side. Nothing moves or pops up.
*/
(function () {
  'use strict';

  var PAUSE_MS = 2000;

  function connect(form) {
    var status = form.querySelector('[data-autosave-status]');
    var base = form.querySelector('input[name="baseHash"]');
    var token = form.querySelector('input[name="_csrf"]');
    if (!status || !base || !token || typeof window.fetch !== 'function') return;
    var timer = null;
    var saving = false;
    var again = false;
    var stopped = false;
    var last = new URLSearchParams(new FormData(form)).toString();

    function save() {
      if (stopped) return;
      var data = new URLSearchParams(new FormData(form));
      var body = data.toString();
      if (body === last) return;
      if (saving) {
        again = true;
        return;
      }
      saving = true;
      status.textContent = 'Saving...';
      window
        .fetch(form.action, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded', 'x-csrf-token': token.value },
          body: body,
        })
        .then(function (response) {
          if (response.status === 409) {
            stopped = true;
            status.textContent = 'Someone else saved this lesson. Your text is still here: press "Save the lesson" to compare both texts.';
            return null;
          }
          if (!response.ok) throw new Error('Not saved');
          return response.json();
        })
        .then(function (answer) {
          if (!answer) return;
          base.value = answer.hash;
          last = new URLSearchParams(new FormData(form)).toString();
          var now = new Date();
          status.textContent =
            'Saved at ' + String(now.getHours()).padStart(2, '0') + ':' + String(now.getMinutes()).padStart(2, '0') +
            (answer.problems ? '. The draft has ' + answer.problems + ' thing' + (answer.problems === 1 ? '' : 's') + ' to fix.' : '.');
        })
        .catch(function () {
          status.textContent = 'Not saved yet. Check your connection, then press "Save the lesson".';
        })
        .then(function () {
          saving = false;
          if (again) {
            again = false;
            save();
          }
        });
    }

    form.addEventListener('input', function () {
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(save, PAUSE_MS);
    });
  }

  var forms = document.querySelectorAll('form[data-lesson-autosave]');
  for (var i = 0; i < forms.length; i += 1) connect(forms[i]);
})();
