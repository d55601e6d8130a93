// todoweb: progressive enhancement only; the page works without it.
(function () {
  // avoid double submissions (a double POST would create two items)
  document.addEventListener('submit', function (ev) {
    var buttons = ev.target.querySelectorAll('button');
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
  });
  // show how old the rendered page is
  var el = document.querySelector('[data-rendered-at]');
  if (el) {
    var at = Date.parse(el.getAttribute('data-rendered-at'));
    var tick = function () {
      var s = Math.max(0, Math.round((Date.now() - at) / 1000));
      el.textContent = 'rendered ' + s + ' s ago';
    };
    tick();
    setInterval(tick, 1000);
  }
})();
