"""Reads soilbeta's NetCDF-CF cube with netCDF4-python (libnetcdf, not GDAL) and dumps it for the Swift test.

Usage: cube_dump.py CUBE.nc OUT_FOLDER
Writes OUT_FOLDER/<variable>.f32 (the whole variable as little-endian float32, C order, masked → NaN)
and prints one JSON document: global attributes, dimensions, and each variable's dimensions, shape,
chunking, compression filters and attributes.
"""
import json
import os
import sys

import netCDF4
import numpy as np

cube, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
with netCDF4.Dataset(cube) as ds:
    ds.set_auto_mask(True)
    info = {
        "format": ds.data_model,
        "global": {k: str(ds.getncattr(k)) for k in ds.ncattrs()},
        "dimensions": {k: len(v) for k, v in ds.dimensions.items()},
        "variables": {},
    }
    for name, var in ds.variables.items():
        attrs = {}
        for k in var.ncattrs():
            v = var.getncattr(k)
            attrs[k] = v.tolist() if hasattr(v, "tolist") else v
            if isinstance(attrs[k], float) and np.isnan(attrs[k]):
                attrs[k] = "NaN"
        chunking = var.chunking()
        info["variables"][name] = {
            "dimensions": list(var.dimensions),
            "shape": list(var.shape),
            "dtype": str(var.dtype),
            "chunking": chunking if chunking == "contiguous" or chunking is None else list(chunking),
            "filters": {k: v for k, v in (var.filters() or {}).items() if v},
            "attributes": attrs,
        }
        data = np.ma.filled(var[...].astype(np.float64), np.nan).astype("<f4")
        data.tofile(os.path.join(out, name + ".f32"))
    print(json.dumps(info))
