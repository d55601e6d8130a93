package browser

// webVitalsScript runs in every new top-level document of a page (Page.addScriptToEvaluateOnNewDocument)
// and reports Core Web Vitals through the __gamedayWebVital binding, measured with
// PerformanceObserver as web.dev defines them:
//   - FCP: the first-contentful-paint paint entry (reported at once);
//   - TTFB: responseStart of the navigation entry (at once);
//   - FID: processingStart - startTime of the first-input entry (at once);
//   - LCP: the last largest-contentful-paint entry before the page is left;
//   - CLS: the largest session window of layout shifts (gap < 1 s, window < 5 s) without recent input;
//   - INP: the longest interaction (event entries with an interactionId).
//
// LCP, CLS and INP are final only when the page is left: they are reported on pagehide, on
// visibilitychange to hidden, and when the engine calls __gamedayFlush (before it navigates or
// closes the page).
const webVitalsScript = `(() => {
  if (window.top !== window || window.__gamedayVitals) return;
  const st = { lcp: null, cls: 0, inp: null, sent: {}, flushed: false };
  window.__gamedayVitals = st;
  const act = () => {
    try { const n = performance.getEntriesByType('navigation')[0]; return (n && n.activationStart) || 0; } catch (e) { return 0; }
  };
  const send = (name, value) => {
    if (!/^https?:/.test(location.href)) return;
    try { window.__gamedayWebVital(JSON.stringify({ name: name, value: value, url: location.href })); } catch (e) {}
  };
  const once = (name, value) => { if (st.sent[name]) return; st.sent[name] = true; send(name, Math.max(0, value)); };
  const observe = (type, cb, extra) => {
    try {
      const po = new PerformanceObserver((list) => list.getEntries().forEach(cb));
      po.observe(Object.assign({ type: type, buffered: true }, extra || {}));
    } catch (e) {}
  };
  observe('paint', (e) => { if (e.name === 'first-contentful-paint') once('FCP', e.startTime - act()); });
  observe('navigation', (e) => { if (e.responseStart > 0) once('TTFB', e.responseStart - act()); });
  observe('first-input', (e) => once('FID', e.processingStart - e.startTime));
  observe('largest-contentful-paint', (e) => { st.lcp = Math.max(0, e.startTime - act()); });
  let sv = 0, first = null, last = null;
  observe('layout-shift', (e) => {
    if (e.hadRecentInput) return;
    if (sv && e.startTime - last.startTime < 1000 && e.startTime - first.startTime < 5000) { sv += e.value; last = e; }
    else { sv = e.value; first = e; last = e; }
    if (sv > st.cls) st.cls = sv;
  });
  observe('event', (e) => { if (e.interactionId && (st.inp === null || e.duration > st.inp)) st.inp = e.duration; }, { durationThreshold: 16 });
  const flush = () => {
    if (st.flushed) return;
    if (!st.sent.TTFB) {
      try { const n = performance.getEntriesByType('navigation')[0]; if (n && n.responseStart > 0) once('TTFB', n.responseStart - act()); } catch (e) {}
    }
    if (st.lcp === null && !st.sent.FCP) return; // nothing painted yet: keep waiting
    st.flushed = true;
    if (st.lcp !== null) send('LCP', st.lcp);
    send('CLS', st.cls);
    if (st.inp !== null) send('INP', st.inp);
  };
  window.__gamedayFlush = (final) => { flush(); if (final && !st.flushed) { st.flushed = true; send('CLS', st.cls); } };
  addEventListener('pagehide', () => window.__gamedayFlush(true), true);
  addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') window.__gamedayFlush(true); }, true);
})();`
