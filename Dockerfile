# The guardrail image: a static binary on distroless, non-root, for a
# read-only root filesystem (the shipped manifests set it).
#
#   docker build -t ghcr.io/guardrail-k8s/guardrail:v0.2.0 \
#     --build-arg COMMIT=$(git rev-parse HEAD) --build-arg DATE=$(date -u +%FT%TZ) .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG COMMIT=""
ARG DATE=""
RUN CGO_ENABLED=0 go build -tags kustomize_disable_go_plugin_support -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/guardrail-k8s/guardrail/internal/version.Commit=${COMMIT} -X github.com/guardrail-k8s/guardrail/internal/version.Date=${DATE}" \
      -o /out/guardrail ./cmd/guardrail

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/guardrail /guardrail
USER 65532:65532
ENTRYPOINT ["/guardrail"]
