import Foundation
import Rasters
import SoilProfiles

/// The IGBP → ecosystem mapping of the demo (demo/README.md, "IGBP classes"), applied to the
/// MODIS MCD12C1 (Collection 6, 2019) majority land-cover type 1 (IGBP; 0 = water, 1–16 classes,
/// 255 = fill). An ecosystem's area in a cell is Σ weight × (area fraction of the class group) ×
/// (cell area on the WGS84 ellipsoid), METHOD.md §8.
///
/// - forestland: 1–5 (evergreen/deciduous needle- and broadleaf, mixed forests) and 8 (woody
///   savannas, 30–60 % tree cover — above the FAO forest threshold of 10 % canopy and tree-dominated).
/// - grassland: 9 (savannas, 10–30 % tree cover with a grass-dominated ground layer, grazed
///   rangeland) and 10 (grasslands).
/// - cropland: 12 (croplands) + ½ × 14 (cropland/natural-vegetation mosaics, where crops cover
///   40–60 %; the natural half is left unassigned).
/// - not assigned: 0 water, 6–7 shrublands, 11 wetlands, 13 urban, 15 snow/ice, 16 barren.
/// - land (for `land.tif`): classes 1–16; a cell is land when they cover ≥ 50 % of it.
public enum DemoLandCover {
    /// The class groups whose area fractions are aggregated (order of `GroupIndex`).
    public static let groups: [ClassGroup] = [
        ClassGroup(name: "igbp_forest", codes: [1, 2, 3, 4, 5, 8]),
        ClassGroup(name: "igbp_grass", codes: [9, 10]),
        ClassGroup(name: "igbp_crop", codes: [12]),
        ClassGroup(name: "igbp_mosaic", codes: [14]),
        ClassGroup(name: "igbp_land", codes: (1...16).map(Double.init)),
    ]
    /// Share of class 14 (cropland/natural vegetation mosaic) counted as cropland.
    public static let mosaicCroplandShare = 0.5
    /// Land fraction at or above which a cell is land in `land.tif`.
    public static let landThreshold = 0.5

    /// Areas (ha) of cropland, grassland and forestland in a cell of `cellAreaHa` with group
    /// fractions forest, grass, crop, mosaic (NaN counts as 0).
    @inline(__always)
    public static func ecosystemAreasHa(forest: Double, grass: Double, crop: Double, mosaic: Double,
                                        cellAreaHa: Double) -> (cropland: Double, grassland: Double, forestland: Double) {
        func valid(_ value: Double) -> Double { value.isNaN ? 0 : value }
        return (cropland: (valid(crop) + mosaicCroplandShare * valid(mosaic)) * cellAreaHa,
                grassland: valid(grass) * cellAreaHa,
                forestland: valid(forest) * cellAreaHa)
    }
}
