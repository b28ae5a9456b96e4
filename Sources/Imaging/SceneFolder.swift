import Foundation

/// semcom's layout of a folder of scenes, shared by what writes one (`semcom scenes`) and what reads one
/// (the sender, datasets, eval): `images/NAME.png` (RGB), `labels/NAME.png` (8-bit train ids, 255 void)
/// and `color/NAME.png` (Cityscapes palette).
public enum SceneFolder {
    public static let images = "images", labels = "labels", color = "color"

    /// `DIR/FOLDER/NAME.png`.
    public static func path(_ directory: String, _ folder: String, _ name: String) -> String {
        ((directory as NSString).appendingPathComponent(folder) as NSString).appendingPathComponent(name + ".png")
    }
}
