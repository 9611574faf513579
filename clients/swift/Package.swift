// swift-tools-version:5.5
// The Swift kit (docs/clients.md §8): Sources/Yafgate/Yafgate.swift is the
// whole kit; Tests/ checks it against clients/vectors.json (`swift test`
// on a Mac).
import PackageDescription

let package = Package(
    name: "Yafgate",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [.library(name: "Yafgate", targets: ["Yafgate"])],
    targets: [
        .target(name: "Yafgate"),
        .testTarget(name: "YafgateTests", dependencies: ["Yafgate"]),
    ]
)
