/*
  Small progressive enhancements. Every page works without this file.
  - A form that failed to save: move focus to the "There is a problem" box so screen reader users hear it.
  - Preferences page: the preview shows the chosen look before saving.
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

  function start() {
    focusErrorSummary();
    connectPreferencesPreview();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
