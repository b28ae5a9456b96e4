import Daemons
import Foundation
import Hummingbird
import Imaging

/// The pictures of a frame on a daemon's side port, for the dashboard:
///
/// - sender: `GET /frames/NAME/map.png`, the map it sends (`DIR/labels/NAME.png` in Cityscapes colours);
/// - receiver: `GET /frames/NAME/map.png`, the map it decided (`ORIGIN/NAME.map.png`), and
///   `GET /frames/NAME/image.png`, the image it regenerated (`ORIGIN/NAME.png`); `?origin=` picks the
///   sender, otherwise the newest file of that name is served.
///
/// Names are checked as the receiver checks frame names (nothing outside the folder); 404 when absent.
public enum FrameImageRoutes {
    public static func sender(_ router: Router<BasicRequestContext>, inputDirectory: String) {
        router.get("/frames/:name/map.png") { _, context -> Response in
            guard let name = context.parameters.get("name"),
                (try? OutputNames(name: name, directory: inputDirectory)) != nil,
                let labels = try? PNG.readLabels(path: SceneFolder.path(inputDirectory, SceneFolder.labels, name)),
                let png = try? PNG.encode(Cityscapes.colorize(labels))
            else { return notFound() }
            return image(png)
        }
    }

    public static func receiver(_ router: Router<BasicRequestContext>, outputDirectory: String) {
        for (route, path) in [("map.png", \OutputNames.colorMapPath), ("image.png", \OutputNames.reconstructionPath)] {
            router.get("/frames/:name/\(route)") { request, context -> Response in
                guard let name = context.parameters.get("name"),
                    let data = receivedFile(
                        name: name, origin: request.uri.queryParameters.get("origin"), path: path,
                        outputDirectory: outputDirectory)
                else { return notFound() }
                return image(Array(data))
            }
        }
    }

    /// The file of frame `name` under `OUT/ORIGIN/` (`?origin=`), or, without an origin, the newest one
    /// among the origins' folders (the dashboard follows one link, so names rarely repeat).
    static func receivedFile(
        name: String, origin: String?, path: KeyPath<OutputNames, String>, outputDirectory: String
    ) -> Data? {
        let folders =
            origin.map { [OriginFolder.path(for: $0, in: outputDirectory)] }
            ?? ReceiverStore.originFolderPaths(in: outputDirectory)
        let candidates = folders.compactMap { folder -> (path: String, modified: Date)? in
            guard let files = try? OutputNames(name: name, directory: folder),
                let attributes = try? FileManager.default.attributesOfItem(atPath: files[keyPath: path]),
                let modified = attributes[.modificationDate] as? Date
            else { return nil }
            return (files[keyPath: path], modified)
        }
        guard let newest = candidates.max(by: { $0.modified < $1.modified }) else { return nil }
        return FileManager.default.contents(atPath: newest.path)
    }

    static func image(_ bytes: [UInt8]) -> Response {
        Response(
            status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func notFound() -> Response { SidePortAPI.problem(.notFound, "no such picture (yet)") }
}
