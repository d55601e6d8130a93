// Runs inside report.html (offline, after the inlined ECharts): draws every chart from the options
// that reports/render/charts.ts embedded as JSON. The few functions ECharts needs are named in the
// options ("__name__") and supplied here.
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('gameday-charts').textContent);

  function fmtTime(t) {
    return new Date(t).toISOString().slice(11, 19);
  }

  function placementRenderItem(spec) {
    var items = spec.option.series[0].data;
    return function (params, api) {
      var node = api.value(0);
      var from = api.coord([api.value(1), node]);
      var to = api.coord([api.value(2), node]);
      var lane = api.value(3);
      var lanes = Math.max(1, api.value(4));
      var band = api.size([0, 1])[1] * 0.8;
      var h = band / lanes;
      var shape = echarts.graphic.clipRectByRect(
        { x: from[0], y: from[1] - band / 2 + lane * h, width: Math.max(2, to[0] - from[0]), height: Math.max(1, h - 1) },
        { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height }
      );
      if (!shape) return null;
      var children = [{ type: 'rect', shape: shape, style: api.style() }];
      var label = items[params.dataIndex] && items[params.dataIndex].name;
      if (label && shape.width > 70 && shape.height > 9) {
        children.push({
          type: 'text',
          silent: true,
          style: { text: label, x: shape.x + 4, y: shape.y + shape.height / 2, verticalAlign: 'middle', fontSize: Math.min(11, shape.height - 1), fill: '#fff', overflow: 'truncate', width: shape.width - 6 }
        });
      }
      return { type: 'group', children: children };
    };
  }

  function placementTooltip(p) {
    var m = (p.data && p.data.meta) || {};
    return (
      '<b>' + p.name + '</b> (' + m.task + ')<br>' +
      'node: ' + m.node + '<br>state: ' + m.state + '<br>' +
      fmtTime(p.value[1]) + ' – ' + fmtTime(p.value[2]) + ' UTC'
    );
  }

  function resolve(value, fns) {
    if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(fns, value)) return fns[value];
    if (Array.isArray(value)) return value.map(function (v) { return resolve(v, fns); });
    if (value && typeof value === 'object') {
      var out = {};
      Object.keys(value).forEach(function (k) { out[k] = resolve(value[k], fns); });
      return out;
    }
    return value;
  }

  var charts = [];
  specs.forEach(function (spec) {
    var el = document.getElementById('chart-' + spec.id);
    if (!el) return;
    var fns = {
      __placementRenderItem__: placementRenderItem(spec),
      __placementTooltip__: placementTooltip
    };
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(resolve(spec.option, fns));
    charts.push(chart);
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (c) { c.resize(); });
  });
  window.gamedayCharts = charts;
  document.body.setAttribute('data-charts-ready', String(charts.length));
})();
