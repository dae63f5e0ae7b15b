/*
  Conversion progress (progressive enhancement): while an uploaded clip is being changed into a form every
  browser plays, asks the server how it is going every two seconds and updates the bar, and the words when they
  change by a tenth or more (so a screen reader is not talked over). When it is done the page is loaded again to
  show the player. Without this file the page has a "Check again" link that does the same by hand.
*/
(function () {
  'use strict';

  var box = document.querySelector('[data-conversion]');
  if (!box || typeof window.fetch !== 'function') return;
  var words = box.querySelector('[data-conversion-words]');
  var bar = box.querySelector('[data-conversion-bar]');
  var check = box.querySelector('[data-conversion-check]');
  if (!words || !bar) return;
  if (check) check.hidden = true;
  var lastTenth = -1;

  function poll() {
    window
      .fetch(box.getAttribute('data-conversion-url'), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('status ' + response.status);
        return response.json();
      })
      .then(function (body) {
        var state = body.conversion;
        if (!state) return;
        if (state.status === 'queued' || state.status === 'converting') {
          bar.value = state.percent;
          var tenth = Math.floor(state.percent / 10);
          if (state.status === 'converting' && tenth !== lastTenth) {
            lastTenth = tenth;
            words.textContent = 'Being changed into a form every browser can play: ' + state.percent + '% done.';
          }
          window.setTimeout(poll, 2000);
          return;
        }
        // Done or failed: the page shows the outcome (and the player) as a reload would.
        window.location.reload();
      })
      .catch(function () {
        if (check) check.hidden = false;
      });
  }
  window.setTimeout(poll, 2000);
})();
