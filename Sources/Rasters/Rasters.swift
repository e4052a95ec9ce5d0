import CGDAL
// The Rasters target of soilbeta; see the files beside this one.
