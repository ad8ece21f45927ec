# syntax=docker/dockerfile:1
# drift in a small image. Multi-platform: `docker buildx build --platform linux/amd64,linux/arm64 .`
# The build stage runs on the builder's own platform and cross-compiles for each TARGETARCH
# (deploy/docker/cross-build chooses the Rust target and linker), so an arm64 image builds at
# native speed on an amd64 runner and the other way round; nothing here names an architecture.

FROM --platform=$BUILDPLATFORM rust:1-slim-bookworm AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
# The target directory is per architecture, so an amd64 and an arm64 build never share
# compiled code; the registry (sources only) is shared.
RUN --mount=type=cache,target=/usr/local/cargo/registry,id=cargo-registry \
    --mount=type=cache,target=/src/target,id=drift-target-${TARGETARCH} \
    deploy/docker/cross-build "$TARGETARCH" /usr/local/bin/drift

FROM debian:bookworm-slim
# CA certificates for AWS and RDS over TLS; curl to post the nightly report.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/drift /usr/local/bin/drift
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["drift"]
CMD ["--help"]
