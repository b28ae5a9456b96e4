import ChannelModels
import SemanticWire

extension AnalogSymbols {
    /// The symbols as the map denoisers see them: one plane per present class.
    public var planes: ClassPlanes {
        ClassPlanes(channels: classes.count, height: planeHeight, width: planeWidth, values: values)
    }

    /// The symbols after GESCO's FDS (`FastDenoisingSemantic`), every plane filtered.
    public func filteredByFDS() -> AnalogSymbols {
        var filtered = self
        filtered.values = FastDenoisingSemantic.apply(planes).values
        return filtered
    }
}
