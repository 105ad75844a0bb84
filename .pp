/tmp/mine/libs/dvckit/src:/tmp/mine/services/auth/src:/tmp/mine/services/catalog/src:/tmp/mine/services/submission/src:/tmp/mine/services/notify/src:/tmp/mine/deploy/local/src
