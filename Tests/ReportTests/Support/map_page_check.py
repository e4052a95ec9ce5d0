"""Opens soilbeta's map.html in headless Chromium through Selenium (chromium-driver) and reports what a person sees.

Usage: map_page_check.py MAP_HTML LAT LON ZOOM ECOSYSTEM LAYER SCREENSHOT
Loads the page from the file system, selects the layer, zooms to (LAT, LON), waits for the tiles, clicks the
map at that point with the mouse, waits for the read-out and prints one JSON document: the read-out values
(ecosystem → key → text), the clicked cell, coloured and grey pixels of the drawn tiles, the page's script
errors and the browser console's errors. Saves a screenshot. Exit 0 when the checks could run.
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

page, lat, lon, zoom, ecosystem, layer, screenshot = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900", "--allow-file-access-from-files"):
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
result = {}
try:
    driver.get("file://" + page)

    def wait(condition, what, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = driver.execute_script(condition)
            if value:
                return value
            time.sleep(0.1)
        raise SystemExit(json.dumps({"error": "timed out waiting for " + what,
                                     "errors": driver.execute_script("return window.soilbetaMap ? soilbetaMap.errors : ['no soilbetaMap']"),
                                     "console": [entry["message"] for entry in driver.get_log("browser")]}))

    wait("return document.body.dataset.ready === '1'", "the page to initialise")
    wait("return (soilbetaMap.tilesLoaded || 0) >= 1", "the first tiles")
    driver.execute_script("soilbetaMap.select(arguments[0], arguments[1]);", ecosystem, layer)
    before = driver.execute_script("return soilbetaMap.tilesLoaded;")
    driver.execute_script("soilbetaMap.map.setView([arguments[0], arguments[1]], arguments[2], {animate: false});", lat, lon, zoom)
    wait("return soilbetaMap.tilesLoaded > %d && !soilbetaMap.dataLayer.isLoading()" % before, "the zoomed tiles")
    # Count coloured (data) and grey (land without this layer) pixels of the drawn tiles.
    result["pixels"] = driver.execute_script("""
        var counts = {coloured: 0, grey: 0, tiles: 0};
        document.querySelectorAll('#map canvas.leaflet-tile').forEach(function (c) {
          counts.tiles++;
          var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (var i = 0; i < d.length; i += 4) {
            if (d[i + 3] === 0) continue;
            if (d[i] === 214 && d[i + 1] === 214 && d[i + 2] === 206) counts.grey++; else counts.coloured++;
          }
        });
        return counts;""")
    point = driver.execute_script("var p = soilbetaMap.map.latLngToContainerPoint([arguments[0], arguments[1]]); return [p.x, p.y];", lat, lon)
    element = driver.find_element(By.ID, "map")
    size = element.size
    ActionChains(driver).move_to_element_with_offset(element, point[0] - size["width"] / 2, point[1] - size["height"] / 2).click().perform()
    wait("return document.getElementById('readout').dataset.state === 'done'", "the read-out")
    result["cell"] = driver.execute_script("var r = document.getElementById('readout').dataset; return [+r.row, +r.column];")
    result["readout"] = driver.execute_script("""
        var out = {};
        document.querySelectorAll('#readout table').forEach(function (t) {
          var e = out[t.dataset.ecosystem] = {};
          t.querySelectorAll('td[data-key]').forEach(function (td) { e[td.dataset.key] = td.textContent; });
        });
        return out;""")
    result["legend"] = driver.execute_script("return document.querySelector('.legend').textContent;")
    result["layers"] = driver.execute_script("return Array.from(document.querySelectorAll('#layer-select option')).map(function (o) { return o.value; });")
    result["sites"] = driver.execute_script("return document.querySelectorAll('#map path.leaflet-interactive, #map .leaflet-overlay-pane path').length;")
    result["errors"] = driver.execute_script("return soilbetaMap.errors;")
    result["console"] = [entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE",)]
    driver.save_screenshot(screenshot)
finally:
    driver.quit()
print(json.dumps(result))
