import CHDF5

// Dimension scales (HDF5 high-level library): how netCDF-4 and xarray learn a variable's dimensions
// and their coordinate variables.

extension HDF5Dataset {
    /// Marks this dataset as a dimension scale named `name` (netCDF: a coordinate variable).
    public func makeDimensionScale(name: String) throws {
        try check(H5DSset_scale(id, name), "make dimension scale")
    }

    /// Attaches `scale` to dimension `dimension` of this dataset.
    public func attach(scale: HDF5Dataset, toDimension dimension: Int) throws {
        try check(H5DSattach_scale(id, scale.id, UInt32(dimension)), "attach dimension scale \(scale.objectPath)")
    }

    /// Whether this dataset is a dimension scale.
    public var isDimensionScale: Bool { H5DSis_scale(id) > 0 }

    /// Names the dimension `dimension` (the label netCDF tools show when no scale is attached).
    public func setDimensionLabel(_ label: String, dimension: Int) throws {
        try check(H5DSset_label(id, UInt32(dimension), label), "label dimension \(dimension)")
    }
}
