// The Statistics target of soilbeta; see the files beside this one.
