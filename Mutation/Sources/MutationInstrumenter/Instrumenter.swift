// Mutation switching (as Stryker and Mull do it): every mutant of a file is
// compiled into one copy of it, each behind a run-time selector, so running a
// mutant costs a run of the checks, not a build. A mutated expression becomes
// a call of a small helper (MutantRuntime.swift) that returns the original or
// the mutated result depending on `SMTP_MUTANT`:
//
//     a < b            →  __mutLT(17, a, b)                  (17: a <= b)
//     a && b           →  __mutAnd(18, a, b)                 (18: a || b)
//     if c             →  if __mutCond(19, 20, 21, c)        (19: !c, 20: true, 21: false)
//     line[i] == 0x0D  →  line[i] == __mutValue3(22, 0x0D, 0x0E, 0x0C, 0x0A)
//     throw e          →  if __mutKeep(26) { throw e }
//
// The copy keeps every line where it was (dropped trivia leaves its line
// breaks), so a compile error in it points at the original line.
//
// The syntax tree comes from swift-syntax with operators folded
// (SwiftOperators), so `a < b && c` is seen as `(a < b) && c`; the rewriting
// itself prints the tree, replacing mutated nodes on the way.

import MutationCatalog
import SwiftOperators
import SwiftParser
import SwiftSyntax

public struct InstrumentedFile: Sendable {
    public var text: String
    public var mutants: [Mutant]
}

public enum Instrumenter {
    /// Generated files start with this (`abnfc generate` writes it): left alone.
    public static let generatedMarker = "// DO NOT EDIT"

    public static func isGenerated(_ source: String) -> Bool {
        source.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: true).first?.hasPrefix(generatedMarker) ?? false
    }

    /// Instruments one file of `module`, named `file` (`MutantCatalog.Module.fileName`: the
    /// name goes into every key). Mutant ids start at `firstID`; mutants whose key is in
    /// `excluding` are left out (their code stays as written).
    public static func instrument(
        _ source: String, file: String, module: String = "", firstID: Int, excluding: Set<String> = []
    ) throws -> InstrumentedFile {
        let parsed = Parser.parse(source: source)
        let folded = try OperatorTable.standardOperators.foldAll(parsed)
        let renderer = Renderer(
            file: file, module: module, tree: folded, source: source, firstID: firstID, excluding: excluding)
        let text = renderer.render(folded)
        return InstrumentedFile(text: text, mutants: renderer.mutants)
    }

    /// FNV-1a, 64 bits: the keys must not depend on Swift's per-process hash seed.
    static func fnv(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// Bytes that are easily confused in a byte parser, each with the one it is swapped for:
    /// the line-ending pair, the two blanks, the other forbidden control byte, bracket pairs,
    /// quoting, and the separators of keyword=value, xtext and address syntax. Letters swap case.
    static let confusableBytes: [UInt8: UInt8] = [
        0x0D: 0x0A, 0x0A: 0x0D,  // CR, LF
        0x20: 0x09, 0x09: 0x20,  // SP, HTAB
        0x00: 0x7F, 0x7F: 0x00,  // NUL, DEL
        0x3C: 0x3E, 0x3E: 0x3C,  // < >
        0x5B: 0x5D, 0x5D: 0x5B,  // [ ]
        0x22: 0x5C, 0x5C: 0x22,  // " \
        0x3A: 0x3B, 0x3B: 0x3A,  // : ;
        0x3D: 0x2B, 0x2B: 0x3D,  // = +
        0x40: 0x2E, 0x2E: 0x40,  // @ .
        0x2C: 0x3B,  // , → ;
        0x2D: 0x5F, 0x5F: 0x2D,  // - _
    ]

    static func confusable(_ byte: UInt8) -> UInt8? {
        if let b = confusableBytes[byte] { return b }
        if (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) { return byte ^ 0x20 }
        return nil
    }
}

/// Prints the folded tree, replacing each mutated node by its switched form.
final class Renderer {
    let file: String
    let module: String
    let converter: SourceLocationConverter
    let sourceLines: [Substring]
    let excluding: Set<String>
    var nextID: Int
    var mutants: [Mutant] = []
    private var occurrences: [String: Int] = [:]

    init(file: String, module: String, tree: Syntax, source: String, firstID: Int, excluding: Set<String>) {
        self.file = file
        self.module = module
        converter = SourceLocationConverter(fileName: file, tree: tree)
        sourceLines = source.split(separator: "\n", omittingEmptySubsequences: false)
        self.excluding = excluding
        nextID = firstID
    }

    // MARK: Printing

    func render(_ node: Syntax) -> String {
        if let token = node.as(TokenSyntax.self) { return token.description }
        if Self.isOpaque(node) { return node.description }
        var text = renderUnwrapped(node)
        if let expr = node.as(ExprSyntax.self), Self.isCondition(expr) {
            text = wrapCondition(expr, rendered: text)
        }
        return text
    }

    private func renderChildren(_ node: Syntax) -> String {
        node.children(viewMode: .sourceAccurate).map(render).joined()
    }

    private func renderUnwrapped(_ node: Syntax) -> String {
        if let infix = node.as(InfixOperatorExprSyntax.self), let text = mutateInfix(infix) { return text }
        if let literal = node.as(IntegerLiteralExprSyntax.self),
            let text = mutateLiteral(ExprSyntax(literal), literal.literal.text)
        {
            return text
        }
        if let prefix = node.as(PrefixOperatorExprSyntax.self), prefix.operator.text == "-",
            let literal = prefix.expression.as(IntegerLiteralExprSyntax.self),
            literal.leadingTrivia.isEmpty,
            let text = mutateLiteral(ExprSyntax(prefix), "-" + literal.literal.text)
        {
            return text
        }
        if let call = node.as(FunctionCallExprSyntax.self), let text = mutateASCIIByte(call) { return text }
        if let item = node.as(CodeBlockItemSyntax.self), let text = mutateStatement(item) { return text }
        return renderChildren(node)
    }

    /// Code that must stay as written: types and generic arguments (`InlineArray<16, _>`),
    /// attributes, enum raw values, string literals (interpolations), `#if` conditions, macros.
    static func isOpaque(_ node: Syntax) -> Bool {
        node.is(TypeSyntax.self) || node.is(GenericArgumentClauseSyntax.self) || node.is(AttributeListSyntax.self)
            || node.is(EnumCaseElementSyntax.self) || node.is(StringLiteralExprSyntax.self)
            || node.is(MacroExpansionExprSyntax.self) || node.is(ImportDeclSyntax.self)
            || (node.parent?.is(IfConfigClauseSyntax.self) == true && node.keyPathInParent == \IfConfigClauseSyntax.condition)
    }

    // MARK: Trivia

    /// The rendered text without the node's own leading and trailing trivia.
    private func core(_ rendered: String, of node: some SyntaxProtocol) -> String {
        let lead = node.leadingTrivia.description
        let trail = node.trailingTrivia.description
        var text = Substring(rendered)
        if text.hasPrefix(lead) { text = text.dropFirst(lead.count) }
        if !trail.isEmpty, text.hasSuffix(trail) { text = text.dropLast(trail.count) }
        return String(text)
    }

    /// Dropped trivia keeps its line breaks, so every line stays where it was.
    private func breaks(_ trivia: Trivia) -> String {
        String(repeating: "\n", count: trivia.description.filter { $0 == "\n" }.count)
    }

    private func breaks(_ token: some SyntaxProtocol) -> String { breaks(token.leadingTrivia) + breaks(token.trailingTrivia) }

    /// `lead + helper(id, args...) + trail`, the node's own trivia kept outside the call.
    private func call(_ helper: String, _ id: Int, _ node: some SyntaxProtocol, _ arguments: [String]) -> String {
        node.leadingTrivia.description + "\(helper)(\(id), " + arguments.joined(separator: ", ") + ")"
            + node.trailingTrivia.description
    }

    /// One line, collapsed white space, shortened: for reports.
    static func oneLine(_ text: String, limit: Int = 100) -> String {
        let collapsed = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
        return collapsed.count > limit ? String(collapsed.prefix(limit - 1)) + "…" : collapsed
    }

    // MARK: Operators

    static let boundary: [String: (helper: String, mutated: String)] = [
        "<": ("__mutLT", "<="), "<=": ("__mutLE", "<"), ">": ("__mutGT", ">="), ">=": ("__mutGE", ">"),
    ]
    static let comparisons: Set<String> = ["==", "!=", "<", "<=", ">", ">="]

    private func mutateInfix(_ node: InfixOperatorExprSyntax) -> String? {
        guard let op = node.operator.as(BinaryOperatorExprSyntax.self)?.operator.text else { return nil }
        let lhs = node.leftOperand, rhs = node.rightOperand
        let original = Self.oneLine(node.trimmedDescription)
        // Tuples compare element by element but are not Comparable: no generic helper takes them.
        let isTuple = { (e: ExprSyntax) in (e.as(TupleExprSyntax.self)?.elements.count ?? 0) > 1 }
        if let (helper, mutatedOp) = Self.boundary[op], !isTuple(lhs), !isTuple(rhs) {
            let mutated = Self.oneLine("\(lhs.trimmedDescription) \(mutatedOp) \(rhs.trimmedDescription)")
            guard let id = plant(node, .relationalBoundary, original: original, mutated: mutated) else { return nil }
            return binaryCall(helper, id, node)
        }
        if op == "&&" || op == "||" {
            // The right operand becomes an autoclosure: `try` or `await` in it would need marking the call.
            guard !Self.contains(Syntax(rhs), where: { $0.is(TryExprSyntax.self) || $0.is(AwaitExprSyntax.self) }) else {
                return nil
            }
            let other = op == "&&" ? "||" : "&&"
            let mutated = Self.oneLine("\(lhs.trimmedDescription) \(other) \(rhs.trimmedDescription)")
            guard let id = plant(node, .logicalConnector, original: original, mutated: mutated) else { return nil }
            return binaryCall(op == "&&" ? "__mutAnd" : "__mutOr", id, node)
        }
        return nil
    }

    private func binaryCall(_ helper: String, _ id: Int, _ node: InfixOperatorExprSyntax) -> String {
        let lhs = render(Syntax(node.leftOperand))
        let rhs = render(Syntax(node.rightOperand))
        let left = core(lhs, of: node.leftOperand) + breaks(node.leftOperand.trailingTrivia) + breaks(node.operator)
        let right = breaks(node.rightOperand.leadingTrivia) + core(rhs, of: node.rightOperand)
        return call(helper, id, node, [left, right])
    }

    /// ±1, and for a byte literal in a comparison the byte it is easily confused with.
    private func mutateLiteral(_ node: ExprSyntax, _ text: String) -> String? {
        guard let literal = IntegerText(text) else { return nil }
        var alternatives: [(MutationOperator, String)] = []
        if let plus = literal.adding(1) { alternatives.append((.integerConstant, plus)) }
        if let minus = literal.adding(-1) { alternatives.append((.integerConstant, minus)) }
        if literal.isByteLiteral, Self.isComparedOperand(Syntax(node)),
            let swapped = Instrumenter.confusable(UInt8(literal.magnitude))
        {
            alternatives.append((.swapByte, literal.formatted(UInt128(swapped))))
        }
        var ids: [Int] = []
        var values: [String] = []
        for (op, value) in alternatives {
            guard let id = plant(node, op, original: text, mutated: value) else { continue }
            ids.append(id)
            values.append(value)
        }
        guard let first = ids.first else { return nil }
        // Consecutive ids (plant hands them out in order), so one site offset picks the value.
        precondition(ids == Array(first..<(first + ids.count)))
        return call("__mutValue\(ids.count)", first, node, [node.trimmedDescription] + values)
    }

    /// `UInt8(ascii: "x")` compared with a byte: swapped for its confusable byte.
    private func mutateASCIIByte(_ node: FunctionCallExprSyntax) -> String? {
        guard node.calledExpression.trimmedDescription == "UInt8", node.arguments.count == 1,
            let argument = node.arguments.first, argument.label?.text == "ascii",
            let string = argument.expression.as(StringLiteralExprSyntax.self), string.segments.count == 1,
            let segment = string.segments.first?.as(StringSegmentSyntax.self)
        else { return nil }
        let content = segment.content.text
        let scalar: UInt8
        switch content {
        case "\\\\": scalar = 0x5C
        case "\\\"": scalar = 0x22
        case "\\t": scalar = 0x09
        case "\\r": scalar = 0x0D
        case "\\n": scalar = 0x0A
        case "\\0": scalar = 0x00
        default:
            guard content.utf8.count == 1, let b = content.utf8.first, b < 0x80 else { return nil }
            scalar = b
        }
        guard Self.isComparedOperand(Syntax(node)), let swapped = Instrumenter.confusable(scalar) else { return nil }
        let replacement = "UInt8(ascii: \"\(Self.escaped(swapped))\")"
        guard let id = plant(node, .swapByte, original: node.trimmedDescription, mutated: replacement) else { return nil }
        return call("__mutValue1", id, node, [node.trimmedDescription, replacement])
    }

    static func escaped(_ b: UInt8) -> String {
        switch b {
        case 0x5C: "\\\\"
        case 0x22: "\\\""
        case 0x09: "\\t"
        case 0x0D: "\\r"
        case 0x0A: "\\n"
        case 0x00: "\\0"
        case 0x7F: "\\u{7F}"
        default: String(UnicodeScalar(b))
        }
    }

    /// A direct operand of a comparison, or a `case` pattern (matching is comparing).
    static func isComparedOperand(_ node: Syntax) -> Bool {
        guard let parent = node.parent else { return false }
        if let infix = parent.as(InfixOperatorExprSyntax.self), node.keyPathInParent != \InfixOperatorExprSyntax.operator,
            let op = infix.operator.as(BinaryOperatorExprSyntax.self)?.operator.text
        {
            return comparisons.contains(op)
        }
        return parent.is(ExpressionPatternSyntax.self)
    }

    // MARK: Conditions

    /// An expression whose value decides a branch: an `if`/`guard`/`while` condition,
    /// a `repeat-while` condition, a ternary's condition, a `where` clause.
    static func isCondition(_ node: ExprSyntax) -> Bool {
        guard let parent = node.parent, let path = node.keyPathInParent else { return false }
        if parent.is(ConditionElementSyntax.self) { return true }
        return path == \RepeatStmtSyntax.condition || path == \TernaryExprSyntax.condition
            || path == \WhereClauseSyntax.condition
    }

    private func wrapCondition(_ node: ExprSyntax, rendered: String) -> String {
        let original = Self.oneLine(node.trimmedDescription)
        let shown = node.is(DeclReferenceExprSyntax.self) || node.is(FunctionCallExprSyntax.self) ? original : "(\(original))"
        // A condition that is already `true` or `false` gets no mutant that leaves it as it is.
        let variants: [(MutationOperator, String)] = [
            (.negateCondition, "!" + shown), (.conditionTrue, "true"), (.conditionFalse, "false"),
        ].filter { $0.1 != original }
        // One id per variant, 0 where the variant is excluded or left out ("no mutant" never matches).
        let planted = Dictionary(
            uniqueKeysWithValues: variants.map { ($0.0, plant(node, $0.0, original: original, mutated: $0.1) ?? 0) })
        let ids = [MutationOperator.negateCondition, .conditionTrue, .conditionFalse].map { planted[$0] ?? 0 }
        guard ids.contains(where: { $0 != 0 }) else { return rendered }
        return node.leadingTrivia.description + "__mutCond(\(ids[0]), \(ids[1]), \(ids[2]), " + core(rendered, of: node) + ")"
            + node.trailingTrivia.description
    }

    // MARK: Statement deletion

    static let compoundAssignments: Set<String> = [
        "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "&+=", "&-=", "&*=", "&<<=", "&>>=",
    ]

    private func mutateStatement(_ item: CodeBlockItemSyntax) -> String? {
        guard deletable(item) else { return nil }
        let original = Self.oneLine(item.item.trimmedDescription)
        guard let id = plant(item, .deleteStatement, original: original, mutated: "(deleted)") else { return nil }
        let body = render(Syntax(item.item))
        let semicolon = item.semicolon.map { $0.description } ?? ""
        return item.item.leadingTrivia.description + "if __mutKeep(\(id)) { " + core(body, of: item.item) + " }"
            + item.item.trailingTrivia.description + semicolon
    }

    /// An assignment, a `throw`, or a `return` of an error, where removing it still
    /// compiles: not the last statement of a `guard` body (which must leave), not an
    /// initialisation (in an `init`, or of a local declared without a value).
    func deletable(_ item: CodeBlockItemSyntax) -> Bool {
        let function = Self.enclosingFunction(Syntax(item))
        switch item.item {
        case .stmt(let stmt):
            if stmt.is(ThrowStmtSyntax.self) {
                return !Self.mustLeave(item, function: function)
            }
            if let ret = stmt.as(ReturnStmtSyntax.self), let value = ret.expression {
                let text = value.trimmedDescription
                let isError =
                    text.contains("Error(") || text.contains(".error(") || text.contains(".failure(") || text.contains("fail(")
                return isError && Self.returnsVoid(function) && !Self.mustLeave(item, function: function)
            }
            return false
        case .expr(let expr):
            guard let infix = expr.as(InfixOperatorExprSyntax.self) else { return false }
            let isAssignment =
                infix.operator.is(AssignmentExprSyntax.self)
                || Self.compoundAssignments.contains(infix.operator.as(BinaryOperatorExprSyntax.self)?.operator.text ?? "")
            guard isAssignment, let function, !function.is(InitializerDeclSyntax.self) else { return false }
            let target = infix.leftOperand.trimmedDescription
            let root = String(target.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" }))
            return !Self.uninitializedLocals(function).contains(root)
        default:
            return false
        }
    }

    /// The innermost function, initializer, accessor, subscript or closure around `node`.
    static func enclosingFunction(_ node: Syntax) -> Syntax? {
        var current = node.parent
        while let n = current {
            if n.is(FunctionDeclSyntax.self) || n.is(InitializerDeclSyntax.self) || n.is(AccessorDeclSyntax.self)
                || n.is(ClosureExprSyntax.self) || n.is(SubscriptDeclSyntax.self) || n.is(DeinitializerDeclSyntax.self)
                || n.is(PatternBindingSyntax.self)
            {
                return n
            }
            current = n.parent
        }
        return nil
    }

    static func returnsVoid(_ function: Syntax?) -> Bool {
        guard let f = function?.as(FunctionDeclSyntax.self) else { return false }
        guard let type = f.signature.returnClause?.type.trimmedDescription else { return true }
        return type == "Void" || type == "()"
    }

    /// The last statement of a `guard`'s else block, or of a function's body: removing it
    /// would let control fall through where Swift requires leaving.
    static func mustLeave(_ item: CodeBlockItemSyntax, function: Syntax?) -> Bool {
        guard let list = item.parent?.as(CodeBlockItemListSyntax.self), list.last?.id == item.id else { return false }
        guard let block = list.parent else { return true }
        if block.parent?.is(GuardStmtSyntax.self) == true { return true }
        if let function, block.parent?.id == function.id { return !returnsVoid(function) }
        return false
    }

    /// Locals declared without a value (`let kind: Kind` then assigned on each path):
    /// removing one of their assignments does not compile.
    static func uninitializedLocals(_ function: Syntax) -> Set<String> {
        var names: Set<String> = []
        func walk(_ node: Syntax) {
            if let binding = node.as(PatternBindingSyntax.self), binding.initializer == nil, binding.accessorBlock == nil,
                let name = binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.text
            {
                names.insert(name)
            }
            for child in node.children(viewMode: .sourceAccurate) { walk(child) }
        }
        walk(function)
        return names
    }

    static func contains(_ node: Syntax, where predicate: (Syntax) -> Bool) -> Bool {
        if predicate(node) { return true }
        return node.children(viewMode: .sourceAccurate).contains { contains($0, where: predicate) }
    }

    // MARK: Bookkeeping

    /// Records a mutant and returns its id, or nil when its key is excluded.
    private func plant(_ node: some SyntaxProtocol, _ op: MutationOperator, original: String, mutated: String) -> Int? {
        let location = node.startLocation(converter: converter)
        let line = location.line
        let sourceLine = line - 1 < sourceLines.count ? Self.oneLine(String(sourceLines[line - 1]), limit: 160) : ""
        let (declaration, lines) = Self.declaration(of: Syntax(node), converter: converter)
        let identity = "\(file)|\(declaration)|\(op.rawValue)|\(sourceLine)|\(original)|\(mutated)"
        let occurrence = occurrences[identity, default: 0]
        occurrences[identity] = occurrence + 1
        let hash = String(Instrumenter.fnv(identity + "|\(occurrence)"), radix: 16)
        let key = "\(file):" + String(repeating: "0", count: max(0, 16 - hash.count)) + hash
        guard !excluding.contains(key) else { return nil }
        let id = nextID
        nextID += 1
        mutants.append(
            Mutant(
                id: id, key: key, module: module, file: file, line: line, column: location.column, operator: op,
                declaration: declaration,
                declarationStart: lines.lowerBound, declarationEnd: lines.upperBound, original: original, mutated: mutated,
                sourceLine: sourceLine))
        return id
    }

    /// `Type.member(labels:)` for the innermost member around `node`, and its lines.
    static func declaration(of node: Syntax, converter: SourceLocationConverter) -> (String, ClosedRange<Int>) {
        var names: [String] = []
        var member: Syntax?
        var current = node.parent
        while let n = current {
            var name: String?
            if let f = n.as(FunctionDeclSyntax.self) {
                name = f.name.text + labels(f.signature.parameterClause.parameters)
            } else if let i = n.as(InitializerDeclSyntax.self) {
                name = "init" + labels(i.signature.parameterClause.parameters)
            } else if let s = n.as(SubscriptDeclSyntax.self) {
                name = "subscript" + labels(s.parameterClause.parameters)
            } else if n.is(DeinitializerDeclSyntax.self) {
                name = "deinit"
            } else if let v = n.as(VariableDeclSyntax.self),
                n.parent?.is(MemberBlockItemSyntax.self) ?? false || n.parent?.parent?.parent?.is(SourceFileSyntax.self) ?? false
            {
                // A property or a global; a local `let` is part of its function.
                name = v.bindings.compactMap { $0.pattern.as(IdentifierPatternSyntax.self)?.identifier.text }.joined(
                    separator: ",")
            } else if let t = n.as(StructDeclSyntax.self) {
                name = t.name.text
            } else if let t = n.as(ClassDeclSyntax.self) {
                name = t.name.text
            } else if let t = n.as(EnumDeclSyntax.self) {
                name = t.name.text
            } else if let t = n.as(ActorDeclSyntax.self) {
                name = t.name.text
            } else if let t = n.as(ProtocolDeclSyntax.self) {
                name = t.name.text
            } else if let t = n.as(ExtensionDeclSyntax.self) {
                name = t.extendedType.trimmedDescription
            }
            if let name {
                if member == nil { member = n }
                names.insert(name, at: 0)
            }
            current = n.parent
        }
        guard let member else { return ("(top level)", 1...1) }
        let start = member.startLocation(converter: converter).line
        let end = member.endLocation(converter: converter).line
        return (names.joined(separator: "."), start...max(start, end))
    }

    static func labels(_ parameters: FunctionParameterListSyntax) -> String {
        "(" + parameters.map { ($0.firstName.text) + ":" }.joined() + ")"
    }
}

/// An integer literal as written (decimal, 0x, 0o, 0b; underscores; a leading minus),
/// and the same literal ± 1 in the same notation.
struct IntegerText {
    let negative: Bool
    let magnitude: UInt128
    let radix: Int
    let prefix: String
    let digits: Int
    let uppercase: Bool

    init?(_ text: String) {
        var t = Substring(text.filter { $0 != "_" })
        negative = t.hasPrefix("-")
        if negative { t = t.dropFirst() }
        switch t.prefix(2) {
        case "0x": radix = 16; prefix = "0x"
        case "0o": radix = 8; prefix = "0o"
        case "0b": radix = 2; prefix = "0b"
        default: radix = 10; prefix = ""
        }
        let body = t.dropFirst(prefix.count)
        guard let value = UInt128(body, radix: radix) else { return nil }
        magnitude = value
        digits = body.count
        uppercase = body.contains(where: { $0.isUppercase })
    }

    /// `0xNN`: two hex digits, the way this code base writes a byte.
    var isByteLiteral: Bool { !negative && radix == 16 && digits == 2 }

    /// Values that are the maximum of a standard integer type: + 1 might not compile.
    static let typeMaxima: Set<UInt128> = [
        0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF,
    ]

    /// The literal plus `delta` (±1), or nil where the result might not fit the literal's
    /// (unknown) type: below zero for an unsigned type, past a type's maximum or minimum.
    func adding(_ delta: Int) -> String? {
        if negative {
            // -m + 1 = -(m - 1); -m - 1 = -(m + 1), which may pass a signed minimum.
            if delta > 0 { return magnitude == 1 ? formatted(0) : "-" + formatted(magnitude - 1) }
            return Self.typeMaxima.contains(magnitude) || Self.typeMaxima.contains(magnitude - 1)
                ? nil : "-" + formatted(magnitude + 1)
        }
        if delta > 0 { return Self.typeMaxima.contains(magnitude) ? nil : formatted(magnitude + 1) }
        return magnitude == 0 ? nil : formatted(magnitude - 1)
    }

    func formatted(_ value: UInt128) -> String {
        var body = String(value, radix: radix, uppercase: uppercase)
        if body.count < digits { body = String(repeating: "0", count: digits - body.count) + body }
        return prefix + body
    }
}
