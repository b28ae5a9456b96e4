/// The Cityscapes label space used throughout semcom: the 19 evaluation classes
/// ("train ids") and their official colours, plus the table from the full Cityscapes
/// label ids (as stored in `gtFine_labelIds.png`) to train ids.
public enum Cityscapes {
    /// Number of evaluation classes (train ids 0…18).
    public static let classCount = 19

    /// Class names, indexed by train id.
    public static let classNames: [String] = [
        "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
        "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
        "motorcycle", "bicycle",
    ]

    /// The official Cityscapes colour of each train id (RGB).
    public static let palette: [(UInt8, UInt8, UInt8)] = [
        (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
        (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
        (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70),
        (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32),
    ]

    /// Colour drawn for void (255) and any id outside the palette.
    public static let voidColor: (UInt8, UInt8, UInt8) = (0, 0, 0)

    /// Train id of each Cityscapes label id 0…33 (`labels.py` of the official
    /// cityscapesScripts); ids not listed (parking, rail track, guard rail, bridge,
    /// tunnel, polegroup, caravan, trailer, license plate, …) map to void.
    public static let trainIDOfLabelID: [UInt8] = {
        var table = [UInt8](repeating: LabelMap.void, count: 256)
        let pairs: [(Int, UInt8)] = [
            (7, 0), (8, 1), (11, 2), (12, 3), (13, 4), (17, 5), (19, 6), (20, 7), (21, 8), (22, 9),
            (23, 10), (24, 11), (25, 12), (26, 13), (27, 14), (28, 15), (31, 16), (32, 17), (33, 18),
        ]
        for (id, train) in pairs { table[id] = train }
        return table
    }()

    /// Maps a map of Cityscapes label ids to train ids.
    public static func trainIDs(fromLabelIDs map: LabelMap) -> LabelMap {
        LabelMap(width: map.width, height: map.height, ids: map.ids.map { trainIDOfLabelID[Int($0)] })
    }

    /// Colour-codes a label map with the Cityscapes palette (void and unknown ids black).
    public static func colorize(_ map: LabelMap) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: map.width * map.height * 3)
        for (i, id) in map.ids.enumerated() {
            let c = Int(id) < palette.count ? palette[Int(id)] : voidColor
            pixels[3 * i] = c.0
            pixels[3 * i + 1] = c.1
            pixels[3 * i + 2] = c.2
        }
        return RGBImage(width: map.width, height: map.height, pixels: pixels)
    }
}
