# syntax=docker/dockerfile:1
# drift in a small image. Multi-platform: `docker buildx build --platform linux/amd64,linux/arm64 .`
# builds each stage for the TARGETARCH buildx passes; nothing here names an architecture.

FROM rust:1-slim-bookworm AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
# Caches are per architecture, so an amd64 and an arm64 build never share compiled code.
RUN --mount=type=cache,target=/usr/local/cargo/registry,id=cargo-registry-${TARGETARCH} \
    --mount=type=cache,target=/src/target,id=drift-target-${TARGETARCH} \
    cargo build --release --locked --bin drift \
 && cp target/release/drift /usr/local/bin/drift

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
