/*
  Small progressive enhancements. Every page works without this file.
  - A form that failed to save: move focus to the "There is a problem" box so screen reader users hear it.
  - Preferences page: the preview shows the chosen look before saving.
  - A table wider than the screen scrolls sideways inside its .table-wrap; that box is then made reachable
    with the keyboard (tabindex) and named after the table's caption, so keyboard users can scroll it too.
*/
(function () {
  'use strict';

  function focusErrorSummary() {
    var summary = document.querySelector('.error-summary');
    if (summary && typeof summary.focus === 'function') {
      summary.focus();
    }
  }

  function checkedValue(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : null;
  }

  function isChecked(form, name) {
    var input = form.querySelector('input[name="' + name + '"]');
    return Boolean(input && input.checked);
  }

  function connectPreferencesPreview() {
    var form = document.querySelector('[data-preferences-form]');
    var preview = document.querySelector('[data-preferences-preview]');
    if (!form || !preview) {
      return;
    }
    var status = preview.querySelector('[data-preview-status]');
    function update() {
      var theme = checkedValue(form, 'theme') || 'standard';
      var textSize = checkedValue(form, 'textSize') || 'standard';
      var classes = [
        'preview',
        'theme-' + theme,
        'preview--text-' + textSize,
        isChecked(form, 'readableFont') ? 'readable-font' : 'default-font',
      ];
      preview.className = classes.join(' ');
      if (status) {
        status.textContent = 'This sample shows your choices. They apply to every page when you save them.';
      }
    }
    form.addEventListener('change', update);
    update();
  }

  function tableName(wrap) {
    var caption = wrap.querySelector('caption');
    var text = caption ? caption.textContent.replace(/\s+/g, ' ').trim() : '';
    return text ? text + ' (scrolls sideways)' : 'Table (scrolls sideways)';
  }

  function makeWideTablesReachable() {
    var wraps = document.querySelectorAll('.table-wrap');
    for (var index = 0; index < wraps.length; index += 1) {
      var wrap = wraps[index];
      var managed = wrap.hasAttribute('data-scroll-reachable');
      // A page that made the box focusable itself keeps its own choice.
      if (!managed && wrap.hasAttribute('tabindex')) {
        continue;
      }
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !managed) {
        wrap.setAttribute('tabindex', '0');
        wrap.setAttribute('role', 'region');
        wrap.setAttribute('aria-label', tableName(wrap));
        wrap.setAttribute('data-scroll-reachable', '');
      } else if (!scrolls && managed) {
        wrap.removeAttribute('tabindex');
        wrap.removeAttribute('role');
        wrap.removeAttribute('aria-label');
        wrap.removeAttribute('data-scroll-reachable');
      }
    }
  }

  function watchWideTables() {
    makeWideTablesReachable();
    var waiting = false;
    window.addEventListener('resize', function () {
      if (waiting) {
        return;
      }
      waiting = true;
      window.requestAnimationFrame(function () {
        waiting = false;
        makeWideTablesReachable();
      });
    });
  }

  function start() {
    focusErrorSummary();
    connectPreferencesPreview();
    watchWideTables();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
