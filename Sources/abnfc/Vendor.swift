import ABNFCompiler
import ArgumentParser

struct Vendor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the verified parser module into another package's source tree.",
        discussion: """
            Copies Sources/SMTPCommandParser (hand-written Swift, Generated/ and Grammar/) to \
            DEST, for example OtherPackage/Sources/SMTPCommandParser, with a provenance header in \
            each Swift file: the toolkit version, the grammar files' SHA-256, and the last \
            verification recorded in VERIFICATION.md. Refuses when generated code is out of date.

            In the other package, declare the target with the grammar folder excluded:
              .target(name: "SMTPCommandParser", exclude: ["Grammar", "VERIFICATION.md"])
            It imports only the Swift standard library.
            """)

    @OptionGroup var package: PackageOptions
    @Argument(help: "The destination folder (created if needed).") var destination: String

    func run() throws {
        let result = try Vendoring.vendor(packagePath: package.packagePath, to: destination)
        for file in result.copied { print("copied \(file)") }
        print("\(result.copied.count) files vendored into \(destination)")
    }
}
