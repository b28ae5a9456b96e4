import Imaging
import SemanticWire

// The wire (`SemanticWire`) carries plain ids and sizes; these are its `LabelMap` forms, for the sender,
// the receiver and `semcom eval`.

extension DigitalPayload {
    /// Compresses `map.ids` and records their size and CRC-32.
    public static func encode(_ map: LabelMap) -> CompressedPayload { encode(ids: map.ids) }

    /// The label map of a digital payload (see `decodeIDs`).
    public static func decode(
        _ payload: CompressedPayload, width: Int, height: Int, classCount: UInt8, frameID: UInt64 = 0,
        limits: WireLimits = .default
    ) throws -> LabelMap {
        LabelMap(
            width: width, height: height,
            ids: try decodeIDs(
                payload, width: width, height: height, classCount: classCount, frameID: frameID, limits: limits))
    }
}

extension AnalogPayload {
    /// The one-hot symbols of `map` (see `symbols(ids:…)`).
    public static func symbols(for map: LabelMap, classCount: UInt8, downsample: Int) throws -> AnalogSymbols {
        try symbols(ids: map.ids, width: map.width, height: map.height, classCount: classCount, downsample: downsample)
    }
}

extension AnalogSymbols {
    /// The label map these symbols decide for a `width`×`height` map (see `decidedIDs`).
    public func hardDecision(width: Int, height: Int, threshold: Float = 0.5) -> LabelMap {
        LabelMap(width: width, height: height, ids: decidedIDs(width: width, height: height, threshold: threshold))
    }
}

extension MapFrame {
    /// A digital frame of `map` (first transmission, no hops).
    /// - Throws: `.invalidField` when the map holds an id that is neither `< classCount` nor void.
    public static func digital(frameID: UInt64, name: String, map: LabelMap, classCount: UInt8) throws -> MapFrame {
        try digital(
            frameID: frameID, name: name, width: map.width, height: map.height, ids: map.ids, classCount: classCount)
    }

    /// An analog frame of `map` (first transmission, no hops): see `AnalogPayload.symbols(ids:…)`.
    public static func analog(
        frameID: UInt64, name: String, map: LabelMap, classCount: UInt8, downsample: Int = 1,
        sampleFormat: SampleFormat = .float16
    ) throws -> MapFrame {
        try analog(
            frameID: frameID, name: name, width: map.width, height: map.height, ids: map.ids, classCount: classCount,
            downsample: downsample, sampleFormat: sampleFormat)
    }

    /// The label map of a digital frame (see `decodeDigitalIDs`).
    public func decodeDigitalMap(limits: WireLimits = .default) throws -> LabelMap {
        LabelMap(width: width, height: height, ids: try decodeDigitalIDs(limits: limits))
    }
}
