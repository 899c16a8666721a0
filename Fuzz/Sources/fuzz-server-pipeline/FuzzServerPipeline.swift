// libFuzzer harness for the server-pipeline target: the properties are in
// Sources/FuzzServerProperties/ServerPipelineProperties.swift of the root package
// (the input layout in Sources/FuzzProperties/ServerPipelineInput.swift). Not
// main.swift: libFuzzer supplies main. Build and run: see Fuzz/README.md.

import FuzzProperties
import FuzzServerProperties

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerPipeline(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.serverPipeline.runOrTrap(UnsafeRawBufferPointer(start: data, count: size), using: ServerPipelineProperties.check)
    return 0
}
