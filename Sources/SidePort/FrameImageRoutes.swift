import Daemons
import Foundation
import Hummingbird
import Imaging
import Scenes

/// The pictures of a frame on a daemon's side port, for the dashboard:
///
/// - sender: `GET /frames/NAME/map.png`, the map it sends (`DIR/labels/NAME.png` in Cityscapes colours);
/// - receiver: `GET /frames/NAME/map.png`, the map it decided (`NAME.map.png`), and
///   `GET /frames/NAME/image.png`, the image it regenerated (`NAME.png`).
///
/// Names are checked as the receiver checks frame names (nothing outside the folder); 404 when absent.
public enum FrameImageRoutes {
    public static func sender(_ router: Router<BasicRequestContext>, inputDirectory: String) {
        router.get("/frames/:name/map.png") { _, context -> Response in
            guard let name = context.parameters.get("name"), (try? OutputNames(name: name, directory: inputDirectory)) != nil,
                let labels = try? PNG.readLabels(path: SceneSet.path(inputDirectory, SceneSet.labelsFolder, name)),
                let png = try? PNG.encode(Cityscapes.colorize(labels))
            else { return notFound() }
            return image(png)
        }
    }

    public static func receiver(_ router: Router<BasicRequestContext>, outputDirectory: String) {
        for (route, path) in [("map.png", \OutputNames.colorMapPath), ("image.png", \OutputNames.reconstructionPath)] {
            router.get("/frames/:name/\(route)") { _, context -> Response in
                guard let name = context.parameters.get("name"),
                    let files = try? OutputNames(name: name, directory: outputDirectory),
                    let data = FileManager.default.contents(atPath: files[keyPath: path])
                else { return notFound() }
                return image(Array(data))
            }
        }
    }

    static func image(_ bytes: [UInt8]) -> Response {
        Response(
            status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func notFound() -> Response { SidePort.json(.notFound, ["error": "no such picture (yet)"]) }
}
