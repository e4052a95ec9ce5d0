// The DepthFunctions target of soilbeta (METHOD.md §2–§5):
// - HorizonChecks.swift: mpspline2 0.1.9 horizon checks (`checkHorizons`).
// - MassPreservingSpline.swift: the Bishop et al. (1999) spline as mpspline2 0.1.9 (`massPreservingSpline`).
// - SOCDensity.swift: Eq. 1 layer SOC density.
// - BetaModel.swift: β fit (Eq. 3) and layer densities from β (Eq. 4, §5).
// - BatchHarmonisation.swift: parallel batch API (`harmoniseProfiles`, `fitBetas`, `fitProfileBetas`).
