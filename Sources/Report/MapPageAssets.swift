// The HTML, script and style of the interactive map page (`map.html`, `map/map-page.js`, `map/map-page.css`).
// The page script is soilbeta's own; the map library is Leaflet (Debian libjs-leaflet, BSD-2-Clause).

/// Text assets of `MapPage`.
enum MapPageAssets {
    /// `map.html`: loads Leaflet, the page script and `map/index.js` from the `map/` folder beside it.
    static func html(title: String, demo: Bool) -> String {
        let banner = demo ? "<div id=\"demo-banner\">DEMO — synthetic covariates and profiles; the numbers are not real estimates</div>" : ""
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(xmlEscaped(title))</title>
        <link rel="stylesheet" href="map/leaflet/leaflet.css">
        <link rel="stylesheet" href="map/map-page.css">
        </head>
        <body>
        \(banner)
        <div id="page">
          <div id="map" role="application" aria-label="map"></div>
          <aside id="side">
            <h1>\(xmlEscaped(title))</h1>
            <p class="note">Click a cell to read its values. β interval: 5–95 % quantiles of the quantile regression
            forest (prediction interval of a profile in the cell). SOC density interval: Eq. 4 with the β quantiles.
            Values are stored to 16 bits per cell (within half a quantum of the GeoTIFFs). Method: docs/METHOD.md §9c.
            <a id="report-link" href="report.html">Report</a></p>
            <div id="readout" data-state="empty"><p class="note">No cell selected.</p></div>
          </aside>
        </div>
        <script src="map/leaflet/leaflet.js"></script>
        <script src="map/map-page.js"></script>
        <script src="map/index.js"></script>
        </body>
        </html>

        """
    }

    /// `map/map-page.css`.
    static let style = """
    html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; font-size: 14px; color: #222; }
    #page { display: flex; height: 100%; }
    #demo-banner { position: fixed; top: 0; left: 0; right: 0; z-index: 2000; background: #b00020; color: #fff;
      text-align: center; padding: 2px; font-weight: 600; }
    #demo-banner ~ #page { height: calc(100% - 22px); margin-top: 22px; }
    #map { flex: 1; background: #cfdde8; }
    #side { width: 360px; overflow-y: auto; padding: 8px 12px; border-left: 1px solid #ccc; background: #fafafa; }
    #side h1 { font-size: 17px; margin: 4px 0 8px; }
    .note { color: #555; font-size: 12px; }
    #readout table { border-collapse: collapse; width: 100%; margin-bottom: 10px; }
    #readout th, #readout td { text-align: left; padding: 2px 4px; border-bottom: 1px solid #e4e4e4; font-size: 13px; }
    #readout td.v { text-align: right; font-variant-numeric: tabular-nums; }
    #readout h2 { font-size: 14px; margin: 10px 0 4px; }
    .soilbeta-control { background: #fff; padding: 6px 8px; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
    .soilbeta-control label { display: block; font-size: 12px; margin: 2px 0; }
    .soilbeta-control select { width: 220px; }
    .legend canvas { display: block; width: 220px; height: 12px; margin: 4px 0 2px; }
    .legend .ends { display: flex; justify-content: space-between; font-size: 12px; }
    """

    /// `map/map-page.js`: the page logic (Leaflet grid layer drawn from the data blocks, switcher, legend,
    /// sites, read-out). `soilbetaMap.init` is called by `map/index.js`; data blocks call `soilbetaMap.block`.
    static let script = #"""
    (function () {
      'use strict';
      var M = window.soilbetaMap = { blocks: {}, waiting: {}, ready: false, errors: [] };
      var info = null, map = null, dataLayer = null, legend = null;
      var selection = { ecosystem: 0, key: 'beta' };
      var NODATA = 65535;

      function deferred() {
        var d = {};
        d.promise = new Promise(function (resolve, reject) { d.resolve = resolve; d.reject = reject; });
        return d;
      }

      function inflate(base64) {
        var binary = atob(base64), bytes = new Uint8Array(binary.length);
        for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
        var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
        return new Response(stream).arrayBuffer();
      }

      // Called by each data block file: "level/row_column", the ecosystems it holds, deflated uint16 values.
      M.block = function (key, codes, base64) {
        var waiting = M.waiting[key];
        inflate(base64).then(function (buffer) {
          var values = new Uint16Array(buffer), cells = info.blockEdge * info.blockEdge, offsets = {}, offset = 0;
          codes.forEach(function (code) {
            var e = ecosystemIndex(code);
            offsets[e] = offset;
            offset += info.ecosystems[e].layers.length * cells;
          });
          M.blocks[key] = { values: values, offsets: offsets };
          if (waiting) waiting.resolve(M.blocks[key]);
        }, function (error) { M.errors.push(String(error)); if (waiting) waiting.reject(error); });
      };

      function ecosystemIndex(code) {
        for (var i = 0; i < info.ecosystems.length; i++) if (info.ecosystems[i].code === code) return i;
        return -1;
      }

      function loadBlock(level, blockRow, blockColumn) {
        var name = blockRow + '_' + blockColumn, key = level + '/' + name;
        if (M.blocks[key]) return Promise.resolve(M.blocks[key]);
        if (!info.levels[level].blockSet[name]) return Promise.resolve(null);
        if (!M.waiting[key]) {
          var waiting = M.waiting[key] = deferred();
          var script = document.createElement('script');
          script.src = 'map/data/L' + level + '/' + name + '.js';
          script.onerror = function () { M.errors.push('cannot load ' + script.src); waiting.resolve(null); };
          document.head.appendChild(script);
        }
        return M.waiting[key].promise;
      }

      // The value of layer `k` of ecosystem `e` at cell (row, column) of a level's block, or NaN.
      function cellValue(block, e, k, cell) {
        if (!block || block.offsets[e] === undefined) return NaN;
        var q = block.values[block.offsets[e] + k * info.blockEdge * info.blockEdge + cell];
        if (q === NODATA) return NaN;
        var layer = info.ecosystems[e].layers[k];
        return layer.offset + q * layer.quantum;
      }

      function layerIndex(e, key) {
        var layers = info.ecosystems[e].layers;
        for (var k = 0; k < layers.length; k++) if (layers[k].key === key) return k;
        return -1;
      }

      // The displayed quantity: a stored layer, or the β interval width (q95 − q05).
      function displayed(e, key) {
        if (key === 'beta_width') {
          var lo = layerIndex(e, 'beta_q05'), hi = layerIndex(e, 'beta_q95');
          if (lo < 0 || hi < 0) return null;
          var low = info.ecosystems[e].layers[lo], high = info.ecosystems[e].layers[hi];
          return { label: 'β interval width (q95 − q05)', unit: '1', low: 0, high: Math.max(1e-6, (high.high - low.low) / 2),
                   value: function (block, cell) { return cellValue(block, e, hi, cell) - cellValue(block, e, lo, cell); } };
        }
        var k = layerIndex(e, key);
        if (k < 0) return null;
        var layer = info.ecosystems[e].layers[k];
        return { label: layer.label, unit: layer.unit, low: layer.low, high: layer.high,
                 value: function (block, cell) { return cellValue(block, e, k, cell); } };
      }

      function chooseLevel(pixelsPerCell) {
        var chosen = 0;
        for (var l = 0; l < info.levels.length; l++) if (pixelsPerCell * info.levels[l].factor <= 2.5) chosen = l;
        return chosen;
      }

      var palette = null;
      function colours() {
        if (palette) return palette;
        palette = info.palette.map(function (hex) {
          return [parseInt(hex.substr(1, 2), 16), parseInt(hex.substr(3, 2), 16), parseInt(hex.substr(5, 2), 16)];
        });
        return palette;
      }

      function drawTile(canvas, coords) {
        var size = 256, n = size * Math.pow(2, coords.z), g = info.grid;
        var level = chooseLevel(g.cellWidth / 360 * n), lv = info.levels[level], f = lv.factor, edge = info.blockEdge;
        var cols = new Int32Array(size), rows = new Int32Array(size), blockColumns = {}, blockRows = {};
        for (var px = 0; px < size; px++) {
          var lon = (coords.x * size + px + 0.5) / n * 360 - 180;
          var c = Math.floor((lon - g.west) / (g.cellWidth * f));
          cols[px] = c >= 0 && c < lv.columns ? c : -1;
          if (cols[px] >= 0) blockColumns[Math.floor(c / edge)] = true;
        }
        for (var py = 0; py < size; py++) {
          var y = (coords.y * size + py + 0.5) / n;
          var lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI;
          var r = Math.floor((g.north - lat) / (g.cellHeight * f));
          rows[py] = r >= 0 && r < lv.rows ? r : -1;
          if (rows[py] >= 0) blockRows[Math.floor(r / edge)] = true;
        }
        var loads = [];
        Object.keys(blockRows).forEach(function (br) {
          Object.keys(blockColumns).forEach(function (bc) { loads.push(loadBlock(level, +br, +bc)); });
        });
        return Promise.all(loads).then(function () {
          var context = canvas.getContext('2d'), image = context.createImageData(size, size), pixels = image.data;
          var quantity = displayed(selection.ecosystem, selection.key), lut = colours();
          var span = quantity ? quantity.high - quantity.low : 1;
          for (var py = 0; py < size; py++) {
            var r = rows[py];
            if (r < 0) continue;
            for (var px = 0; px < size; px++) {
              var c = cols[px];
              if (c < 0) continue;
              var block = M.blocks[level + '/' + Math.floor(r / edge) + '_' + Math.floor(c / edge)];
              if (!block) continue;
              var cell = (r % edge) * edge + (c % edge), o = 4 * (py * size + px);
              var v = quantity ? quantity.value(block, cell) : NaN;
              if (v === v) {
                var t = Math.max(0, Math.min(255, Math.round((v - quantity.low) / span * 255)));
                pixels[o] = lut[t][0]; pixels[o + 1] = lut[t][1]; pixels[o + 2] = lut[t][2]; pixels[o + 3] = 255;
              } else if (anyEcosystem(block, cell)) {
                pixels[o] = 214; pixels[o + 1] = 214; pixels[o + 2] = 206; pixels[o + 3] = 255;
              }
            }
          }
          context.putImageData(image, 0, 0);
        });
      }

      // Land drawn grey: a cell where any ecosystem has a β.
      function anyEcosystem(block, cell) {
        for (var e = 0; e < info.ecosystems.length; e++) {
          var k = layerIndex(e, 'beta');
          if (k >= 0 && cellValue(block, e, k, cell) === cellValue(block, e, k, cell)) return true;
        }
        return false;
      }

      function format(value, decimals) {
        return value === value ? value.toFixed(decimals) : '–';
      }

      // Eq. 4 (docs/METHOD.md §5): X_a-b = X_0-20 (β^a − β^b) / (1 − β^20).
      function layerDensity(topsoil, beta, upper, lower) {
        if (!(beta > 0 && beta <= 1)) return NaN;
        if (beta === 1) return topsoil * (lower - upper) / 20;
        return topsoil * (Math.pow(beta, upper) - Math.pow(beta, lower)) / (1 - Math.pow(beta, 20));
      }

      function readout(latlng) {
        var g = info.grid, lon = ((latlng.lng + 180) % 360 + 360) % 360 - 180, lat = latlng.lat;
        var column = Math.floor((lon - g.west) / g.cellWidth), row = Math.floor((g.north - lat) / g.cellHeight);
        var panel = document.getElementById('readout');
        if (column < 0 || column >= g.columns || row < 0 || row >= g.rows) {
          panel.innerHTML = '<p class="note">Outside the grid.</p>';
          panel.dataset.state = 'outside';
          return Promise.resolve();
        }
        var edge = info.blockEdge;
        panel.dataset.state = 'loading';
        return loadBlock(0, Math.floor(row / edge), Math.floor(column / edge)).then(function (block) {
          var cell = (row % edge) * edge + (column % edge);
          var html = '<h2>lon ' + lon.toFixed(4) + '°, lat ' + lat.toFixed(4) + '°</h2>'
            + '<p class="note">cell row ' + (row + 1) + ', column ' + (column + 1) + ' (centre '
            + (g.west + (column + 0.5) * g.cellWidth).toFixed(4) + '°, ' + (g.north - (row + 0.5) * g.cellHeight).toFixed(4) + '°)</p>';
          info.ecosystems.forEach(function (eco, e) {
            html += '<h2>' + eco.name + '</h2><table data-ecosystem="' + eco.code + '">';
            var beta = cellValue(block, e, layerIndex(e, 'beta'), cell);
            var low = cellValue(block, e, layerIndex(e, 'beta_q05'), cell), high = cellValue(block, e, layerIndex(e, 'beta_q95'), cell);
            var topsoilIndex = layerIndex(e, 'socd_0-20'), topsoil = topsoilIndex >= 0 ? cellValue(block, e, topsoilIndex, cell) : NaN;
            eco.layers.forEach(function (layer, k) {
              if (layer.key === 'beta_q05' || layer.key === 'beta_q95') return;
              var v = cellValue(block, e, k, cell), interval = '';
              if (layer.key === 'beta' && low === low) interval = ' (' + format(low, 4) + '–' + format(high, 4) + ')';
              var depth = /^socd_(\d+)-(\d+)$/.exec(layer.key);
              if (depth && !(depth[1] === '0' && depth[2] === '20')) {
                var a = +depth[1], b = +depth[2];
                var lo = layerDensity(topsoil, low, a, b), hi = layerDensity(topsoil, high, a, b);
                if (v === v && lo === lo) interval = ' (' + format(Math.min(lo, hi), layer.decimals) + '–' + format(Math.max(lo, hi), layer.decimals) + ')';
              }
              html += '<tr><th>' + layer.label + (layer.unit !== '1' ? ', ' + layer.unit : '') + '</th><td class="v" data-key="'
                + layer.key + '" data-value="' + format(v, layer.decimals) + '">' + format(v, layer.decimals) + interval + '</td></tr>';
            });
            html += '</table>';
          });
          panel.innerHTML = html;
          panel.dataset.row = row;
          panel.dataset.column = column;
          panel.dataset.state = 'done';
        });
      }

      function updateLegend() {
        var quantity = displayed(selection.ecosystem, selection.key), box = legend.getContainer().querySelector('.legend');
        if (!quantity) { box.innerHTML = 'not mapped'; return; }
        var canvas = document.createElement('canvas'), lut = colours();
        canvas.width = 256; canvas.height = 1;
        var context = canvas.getContext('2d'), image = context.createImageData(256, 1);
        for (var i = 0; i < 256; i++) { image.data.set([lut[i][0], lut[i][1], lut[i][2], 255], 4 * i); }
        context.putImageData(image, 0, 0);
        var digits = quantity.unit === '1' ? 4 : 1;
        box.innerHTML = '<b>' + info.ecosystems[selection.ecosystem].name + ': ' + quantity.label + '</b>'
          + (quantity.unit !== '1' ? ' (' + quantity.unit + ')' : ' (dimensionless)');
        box.appendChild(canvas);
        var ends = document.createElement('div');
        ends.className = 'ends';
        ends.innerHTML = '<span>≤ ' + quantity.low.toFixed(digits) + '</span><span>≥ ' + quantity.high.toFixed(digits) + '</span>';
        box.appendChild(ends);
      }

      function switcher() {
        var control = L.control({ position: 'topright' });
        control.onAdd = function () {
          var div = L.DomUtil.create('div', 'soilbeta-control');
          var ecosystems = '<label>Ecosystem <select id="ecosystem-select">' + info.ecosystems.map(function (eco, e) {
            return '<option value="' + e + '">' + eco.name + '</option>'; }).join('') + '</select></label>';
          var keys = [];
          info.ecosystems[0].layers.forEach(function (layer) { keys.push([layer.key, layer.label]); });
          keys.splice(3, 0, ['beta_width', 'β interval width (q95 − q05)']);
          var layers = '<label>Layer <select id="layer-select">' + keys.map(function (k) {
            return '<option value="' + k[0] + '">' + k[1] + '</option>'; }).join('') + '</select></label>';
          div.innerHTML = ecosystems + layers;
          L.DomEvent.disableClickPropagation(div);
          div.querySelector('#ecosystem-select').addEventListener('change', function (event) { select(+event.target.value, selection.key); });
          div.querySelector('#layer-select').addEventListener('change', function (event) { select(selection.ecosystem, event.target.value); });
          return div;
        };
        return control;
      }

      function select(ecosystem, key) {
        selection = { ecosystem: ecosystem, key: key };
        updateLegend();
        dataLayer.redraw();
      }

      M.select = function (code, key) {
        var e = ecosystemIndex(code);
        if (e >= 0) {
          document.getElementById('ecosystem-select').value = String(e);
          document.getElementById('layer-select').value = key;
          select(e, key);
        }
      };
      M.readout = function (lat, lon) { return readout(L.latLng(lat, lon)); };

      M.init = function (index) {
        info = index;
        info.levels.forEach(function (level) {
          level.blockSet = {};
          level.blocks.forEach(function (name) { level.blockSet[name] = true; });
        });
        map = M.map = L.map('map', { worldCopyJump: false, minZoom: 1, maxZoom: 12, zoomSnap: 1 });
        var DataLayer = L.GridLayer.extend({
          createTile: function (coords, done) {
            var tile = document.createElement('canvas');
            tile.width = 256; tile.height = 256;
            drawTile(tile, coords).then(function () { done(null, tile); }, function (error) { M.errors.push(String(error)); done(error, tile); });
            return tile;
          }
        });
        dataLayer = M.dataLayer = new DataLayer({ noWrap: true, bounds: [[-85.06, -180], [85.06, 180]], keepBuffer: 1 });
        dataLayer.on('load', function () { M.tilesLoaded = (M.tilesLoaded || 0) + 1; });
        dataLayer.addTo(map);
        var sites = L.layerGroup();
        var colour = { CL: '#e8a33d', GL: '#6aa84f', FL: '#1f5f3a' };
        info.sites.forEach(function (s) {
          L.circleMarker([s.lat, s.lon], { radius: 3, weight: 1, color: '#222', fillColor: colour[s.ecosystem] || '#888', fillOpacity: 0.9, interactive: false })
            .addTo(sites);
        });
        sites.addTo(map);
        var overlays = {};
        overlays['Profile sites (' + info.sites.length + ')'] = sites;
        L.control.layers(null, overlays, { position: 'topright', collapsed: false }).addTo(map);
        switcher().addTo(map);
        legend = L.control({ position: 'bottomright' });
        legend.onAdd = function () { var div = L.DomUtil.create('div', 'soilbeta-control'); div.innerHTML = '<div class="legend"></div>'; return div; };
        legend.addTo(map);
        L.control.scale({ imperial: false }).addTo(map);
        map.attributionControl.addAttribution(info.software + ' · <a href="' + info.report + '">report</a> · Leaflet');
        updateLegend();
        map.on('click', function (event) { readout(event.latlng); });
        map.fitBounds([[-60, -170], [80, 170]]);
        M.ready = true;
        document.body.dataset.ready = '1';
      };
    })();
    """#
}
