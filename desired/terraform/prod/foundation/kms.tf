# KMS key that encrypts the files bucket (S3 SSE-KMS).
module "kms" {
  source  = "terraform-aws-modules/kms/aws"
  version = "~> 3.0"

  description = "${local.name_prefix} files bucket"
  aliases     = ["${local.name_prefix}-files"]

  # A bare account id: AWS stores it as the account's root ARN.
  key_owners         = [local.account_id]
  key_administrators = ["arn:aws:iam::${local.account_id}:role/wealist-prod-admin"]
  key_users          = ["arn:aws:iam::${local.account_id}:role/${var.eks_node_role_name}"]

  key_statements = [
    {
      sid    = "AllowS3UseOfTheKey"
      effect = "Allow"
      principals = [
        {
          type        = "Service"
          identifiers = ["s3.amazonaws.com"]
        }
      ]
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]
      conditions = [
        {
          test     = "StringEquals"
          variable = "kms:ViaService"
          values   = ["s3.${var.region}.amazonaws.com"]
        },
        {
          test     = "StringEquals"
          variable = "aws:SourceAccount"
          values   = [local.account_id]
        }
      ]
    }
  ]

  tags = {
    Environment = var.environment
  }
}
