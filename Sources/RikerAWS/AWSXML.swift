import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RikerCore

/// One element of an XML document AWS answers with (S3 and the query APIs alike): its name
/// (without namespace prefix), its text, and its child elements in order. Small and
/// read-only; built by `parse`. The one XML reader of RikerAWS.
public struct AWSXMLElement: Sendable, Equatable {
    public var name: String
    /// The element's own character data, trimmed of surrounding whitespace.
    public var text: String
    public var children: [AWSXMLElement]

    public init(name: String, text: String = "", children: [AWSXMLElement] = []) {
        self.name = name; self.text = text; self.children = children
    }

    /// The first child named `name`.
    public subscript(_ name: String) -> AWSXMLElement? { children.first { $0.name == name } }

    /// The element reached by following child names, e.g. `element["Result", "NextToken"]`.
    public subscript(_ path: String...) -> AWSXMLElement? { follow(path) }

    /// The text at a path of child names, nil when an element on the way is missing.
    public func text(_ path: String...) -> String? { follow(path)?.text }

    /// The children of the element at `path` (all of them, e.g. the `member`s of a list);
    /// empty when the path does not exist.
    public func list(_ path: String...) -> [AWSXMLElement] { follow(path)?.children ?? [] }

    /// Every child named `name`, in order (the `<Contents>` of a listing).
    public func all(_ name: String) -> [AWSXMLElement] { children.filter { $0.name == name } }

    /// The first element named `name` at any depth, this one included (depth first).
    public func first(named name: String) -> AWSXMLElement? {
        if self.name == name { return self }
        for c in children { if let hit = c.first(named: name) { return hit } }
        return nil
    }

    private func follow(_ path: [String]) -> AWSXMLElement? {
        var node: AWSXMLElement? = self
        for p in path { node = node?[p] }
        return node
    }

    /// `s` with XML's special characters escaped, for request bodies.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Parses a whole document and returns its root element. Throws `.invalidInput`, with
    /// the parser's message and line, when `data` is not well-formed XML.
    public static func parse(_ data: Data) throws -> AWSXMLElement {
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { String(describing: $0.localizedDescription) } ?? "empty document"
            throw RikerError(.invalidInput, "malformed XML from AWS (line \(parser.lineNumber)): \(reason)")
        }
        return root
    }
}

/// Collects `XMLParser` events into `AWSXMLElement`s.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    private var stack: [AWSXMLElement] = []
    private var texts: [String] = []
    var root: AWSXMLElement?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        stack.append(AWSXMLElement(name: elementName))
        texts.append("")
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !texts.isEmpty { texts[texts.count - 1] += string }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        if !texts.isEmpty { texts[texts.count - 1] += String(decoding: CDATABlock, as: UTF8.self) }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard var done = stack.popLast(), let text = texts.popLast() else { return }
        done.text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
    }
}
