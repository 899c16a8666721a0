// libFuzzer harness for the grammar target: the properties are in
// Sources/FuzzProperties/GrammarProperties.swift of the root package. Not main.swift:
// libFuzzer supplies main. Build and run: see Fuzz/README.md.

import FuzzProperties

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGrammar(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.grammar.runOrTrap(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
