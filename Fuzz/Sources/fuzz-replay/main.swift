// fuzz-replay: runs a harness's property checks over files, without libFuzzer,
// so a crashing input can be stepped through in a debugger or printed.
//
//   fuzz-replay TARGET FILE-OR-FOLDER...
//
// Exits 1 if any input breaks a property (a trap still traps, as in the harness).

import Foundation
import FuzzProperties
import FuzzServerProperties

let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count >= 2 else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
    FileHandle.standardError.write(Data("usage: fuzz-replay \(names) FILE-OR-FOLDER...\n".utf8))
    exit(2)
}

var files: [String] = []
for path in arguments.dropFirst() {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        FileHandle.standardError.write(Data("fuzz-replay: no such file: \(path)\n".utf8))
        exit(2)
    }
    if isFolder.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        files += names.sorted().filter { !$0.hasPrefix(".") }.map { "\(path)/\($0)" }
    } else {
        files.append(path)
    }
}

var failed = 0
for file in files {
    let bytes = [UInt8](FileManager.default.contents(atPath: file) ?? Data())
    let violation =
        target.checkedInFuzzProperties ? target.violation(bytes) : target.violation(bytes, using: ServerPipelineProperties.check)
    if let violation {
        print("FAILED  \(file): \(violation)")
        failed += 1
    } else {
        print("ok      \(file)")
    }
}
print("\(files.count - failed) passed, \(failed) failed")
exit(failed == 0 ? 0 : 1)
