variable "region" {
  description = "AWS region of the production estate"
  type        = string
  default     = "ap-northeast-2"
}

variable "environment" {
  type    = string
  default = "prod"
}

variable "domain_name" {
  type    = string
  default = "wealist.co.kr"
}

variable "eks_node_role_name" {
  description = "IAM role of the EKS nodes that read and write the files bucket"
  type        = string
  default     = "wealist-prod-eks-node"
}

variable "alb_dns_name" {
  description = "DNS name of the ingress ALB"
  type        = string
  default     = "k8s-wealistprod-1a2b3c4d5e-1234567890.ap-northeast-2.elb.amazonaws.com"
}

variable "cloudfront_distribution_id" {
  description = "CloudFront distribution in front of the files bucket"
  type        = string
}
