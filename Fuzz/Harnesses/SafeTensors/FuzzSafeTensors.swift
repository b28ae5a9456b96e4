import FuzzSupport
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// Fuzz target `safetensors`: the weights reader (`SafeTensorsFile`, memory-mapped, as the generator and
/// the segmenter load `model.safetensors`). The input is a whole file: it is written to a temporary file
/// (in /dev/shm when there is one, removed after each input), opened, and every tensor it lists is read.
/// Checks beyond "no crash": each tensor read has the listed shape and as many values as the shape implies.
@main enum FuzzSafeTensors {
    nonisolated(unsafe) static var path = ""

    static func main() {
        let folder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        path = "\(folder)/semcom-fuzz-\(getpid()).safetensors"
        Fuzzer.run { bytes in
            write(bytes)
            defer { unlink(path) }  // the file is mapped while read; only a crash leaves it behind
            let file: SafeTensorsFile
            do { file = try SafeTensorsFile(path: path) } catch { return fuzzTrace("file refused: \(error)") }
            fuzzTrace("\(file.entries.count) tensors, \(file.metadata.count) metadata entries")
            for (name, entry) in file.entries.sorted(by: { $0.key < $1.key }) {
                let tensor: Tensor
                do { tensor = try file.tensor(name) } catch {
                    fuzzTrace("tensor \(name) refused: \(error)")
                    continue
                }
                fuzzCheck(
                    tensor.shape == entry.shape, "tensor \(name) read with shape \(tensor.shape), listed \(entry.shape)"
                )
                fuzzCheck(
                    tensor.data.count == entry.shape.reduce(1, *), "tensor \(name) has \(tensor.data.count) values")
            }
        }
    }

    static func write(_ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        fuzzCheck(fd >= 0, "cannot create \(path)")
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            fuzzCheck(n > 0, "cannot write \(path)")
            done += n
        }
    }
}
