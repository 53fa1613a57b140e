# Builds the xsoc worker and starter into one small image; docker-compose.yml runs
# each with its own command.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The worker's build id (docs/deploy.md): --build-arg BUILD_ID=2026.12.1 stamps it; empty, the
# worker takes its binary's digest, the same for every replica of this image.
ARG BUILD_ID=
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-X xsoc/config.stampedBuildID=${BUILD_ID}" -o /out/ ./worker ./starter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/starter /usr/local/bin/
COPY examples/customers.yaml /etc/xsoc/customers.yaml
ENV XSOC_CUSTOMERS_FILE=/etc/xsoc/customers.yaml
USER nonroot
CMD ["/usr/local/bin/worker"]
