# The release bucket, when the module creates one: SSE-S3 (so the instance role
# needs no KMS permission), versioned, all public access blocked, TLS only,
# owner-enforced. Agents rewrite instances/<id>.json on every heartbeat and
# create and delete locks, so old versions of those expire after a day.

resource "aws_s3_bucket" "releases" {
  count         = local.create_bucket ? 1 : 0
  bucket_prefix = "${var.name}-releases-"
  tags          = var.tags
}

resource "aws_s3_bucket_server_side_encryption_configuration" "releases" {
  count  = local.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.releases[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "releases" {
  count  = local.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.releases[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "releases" {
  count                   = local.create_bucket ? 1 : 0
  bucket                  = aws_s3_bucket.releases[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "releases" {
  count  = local.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.releases[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "releases_tls_only" {
  count = local.create_bucket ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.releases[0].arn, "${aws_s3_bucket.releases[0].arn}/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "releases" {
  count  = local.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.releases[0].id
  policy = data.aws_iam_policy_document.releases_tls_only[0].json

  depends_on = [aws_s3_bucket_public_access_block.releases]
}

resource "aws_s3_bucket_lifecycle_configuration" "releases" {
  count  = local.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.releases[0].id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = { "expire-old-status-reports" = "instances", "expire-old-locks" = "locks" }
    content {
      id     = rule.key
      status = "Enabled"
      filter {
        prefix = "${var.release_prefix}/${rule.value}/"
      }
      noncurrent_version_expiration {
        noncurrent_days = 1
      }
      expiration {
        expired_object_delete_marker = true
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.releases]
}
