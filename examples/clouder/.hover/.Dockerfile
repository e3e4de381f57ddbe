# The example application's image, in hover's stages. A real project starts
# `base` from a PHP runtime image (e.g. php:8.2-fpm) and runs `composer install`,
# and builds its front end in `assets` with node (`npm ci && npm run build`); this
# example uses only FROM scratch and COPY so that it builds without pulling anything
# (its vendor/autoload.php loads Debian's Laravel from the host).

# base: the application code
FROM scratch AS base
WORKDIR /var/task
COPY composer.json artisan ./
COPY app ./app
COPY bootstrap ./bootstrap
COPY config ./config
COPY routes ./routes
COPY resources ./resources
COPY vendor ./vendor
COPY public/index.php ./public/index.php

# assets: the public files served from the assets bucket under
# ASSET_URL (assets/<build-id>); the stage's filesystem is exactly public/
FROM scratch AS assets
ARG ASSET_URL
COPY public/favicon.ico public/robots.txt /public/
COPY public/css /public/css
COPY public/js /public/js
COPY public/images /public/images
COPY public/fonts /public/fonts

# tests: the base stage plus the test suite (`vendor/bin/phpunit` in a real project)
FROM base AS tests
COPY phpunit.xml ./
COPY tests ./tests

# final: the image every function runs; hover's runtime (staged by `hover build`)
# is its entry point and picks the http, cli or queue role from the function's name
FROM base AS final
ARG ASSET_URL
ENV ASSET_URL=${ASSET_URL} LAMBDA_TASK_ROOT=/var/task
ARG HOVER_BUILD_ID
COPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover
# the stage's encrypted secrets (`hover secret encrypt`), staged by `hover build`
# (an empty file when the stage has none); the runtime decrypts them at cold start
COPY .hover/out/${HOVER_BUILD_ID}/secrets.env /var/task/.hover/secrets.env
ENTRYPOINT ["/opt/hover/bootstrap"]
