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
// LCP, CLS and INP are final only when the document is left: the script streams candidates, the
// engine keeps the last of each per document and records them at the next main-frame document,
// at page close, or at the script's "flush" (pagehide, visibilitychange to hidden, and
// __gamedayFlushSoon, which the engine calls before it navigates or closes the page).
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
  const observers = [];
  const observe = (type, cb, extra) => {
    try {
      const po = new PerformanceObserver((list) => list.getEntries().forEach(cb));
      po.observe(Object.assign({ type: type, buffered: true }, extra || {}));
      observers.push([po, cb]);
    } catch (e) {}
  };
  // entries not yet delivered to the callbacks (they run asynchronously)
  const takeRecords = () => observers.forEach(([po, cb]) => { try { po.takeRecords().forEach(cb); } catch (e) {} });
  observe('paint', (e) => { if (e.name === 'first-contentful-paint') once('FCP', e.startTime - act()); });
  observe('navigation', (e) => { if (e.responseStart > 0) once('TTFB', e.responseStart - act()); });
  observe('first-input', (e) => once('FID', e.processingStart - e.startTime));
  // LCP, CLS and INP are streamed as candidates; the engine keeps the last one per document and
  // records it when the document is left.
  observe('largest-contentful-paint', (e) => { st.lcp = Math.max(0, e.startTime - act()); send('LCP', st.lcp); });
  let sv = 0, first = null, last = null;
  observe('layout-shift', (e) => {
    if (e.hadRecentInput) return;
    if (sv && e.startTime - last.startTime < 1000 && e.startTime - first.startTime < 5000) { sv += e.value; last = e; }
    else { sv = e.value; first = e; last = e; }
    if (sv > st.cls) { st.cls = sv; send('CLS', st.cls); }
  });
  observe('event', (e) => {
    if (e.interactionId && (st.inp === null || e.duration > st.inp)) { st.inp = e.duration; send('INP', st.inp); }
  }, { durationThreshold: 16 });
  send('CLS', 0);
  const flush = () => {
    takeRecords();
    if (!st.sent.TTFB) {
      try { const n = performance.getEntriesByType('navigation')[0]; if (n && n.responseStart > 0) once('TTFB', n.responseStart - act()); } catch (e) {}
    }
    if (st.flushed) return;
    st.flushed = true;
    send('CLS', st.cls);
    send('flush', 0);
  };
  window.__gamedayFlush = flush;
  // before the engine navigates or closes the page: a small page often paints only after its
  // load event, so wait (up to 300 ms) for the largest contentful paint to be observed
  window.__gamedayFlushSoon = () => new Promise((resolve) => {
    const t0 = performance.now();
    const tick = () => {
      takeRecords();
      if (st.flushed || st.lcp !== null || performance.now() - t0 > 300) { flush(); resolve(true); return; }
      setTimeout(tick, 16);
    };
    tick();
  });
  addEventListener('pagehide', flush, true);
  addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flush(); }, true);
})();`
