# Step 3, analysis in R: a seeded bootstrap of the two models' validation accuracy, and a plot.
#
#   Rscript analysis.R TRAIN_OUT_DIR OUT_DIR
#
# The seed comes from the same manifest through the seedbridge R package (SEEDBRIDGE_MANIFEST is set
# by `seedbridge run`), with every RNG kind pinned.
library(seedbridge)

args <- commandArgs(trailingOnly = TRUE)
train_dir <- args[[1]]
out_dir <- args[[2]]
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

info <- sb_set_seed("analysis")
cat(sprintf("seeded R with %d (%s)\n", sb_seed("analysis"), paste(RNGkind(), collapse = ", ")))

correct <- list(
  keras = read.csv(file.path(train_dir, "keras_val_correct.csv"))$correct,
  torch = read.csv(file.path(train_dir, "torch_val_correct.csv"))$correct
)
n <- length(correct$keras)
replicates <- 2000L
boot <- replicate(replicates, {
  i <- sample.int(n, n, replace = TRUE)
  c(keras = mean(correct$keras[i]), torch = mean(correct$torch[i]))
})
ci <- function(x) unname(quantile(x, c(0.025, 0.975), type = 7))
result <- list(
  seed = sb_seed("analysis"),
  replicates = replicates,
  keras = list(accuracy = mean(correct$keras), ci95 = ci(boot["keras", ])),
  torch = list(accuracy = mean(correct$torch), ci95 = ci(boot["torch", ])),
  difference = list(estimate = mean(correct$keras) - mean(correct$torch),
                    ci95 = ci(boot["keras", ] - boot["torch", ]))
)
json <- jsonlite::toJSON(result, auto_unbox = TRUE, digits = 10, pretty = TRUE)
writeLines(json, file.path(out_dir, "bootstrap.json"))
write.csv(data.frame(keras = boot["keras", ], torch = boot["torch", ]),
          file.path(out_dir, "bootstrap_samples.csv"), row.names = FALSE)

histories <- list(
  keras = jsonlite::fromJSON(file.path(train_dir, "keras_history.json")),
  torch = jsonlite::fromJSON(file.path(train_dir, "torch_history.json"))
)
png(file.path(out_dir, "report.png"), width = 1200, height = 450, type = "cairo")
par(mfrow = c(1, 3))
for (model in names(histories)) {
  h <- histories[[model]]
  epochs <- seq_along(h$loss)
  plot(epochs, h$loss, type = "b", pch = 19, col = "steelblue", ylim = range(c(h$loss, h$val_loss)),
       xlab = "epoch", ylab = "loss", main = sprintf("%s training curves", model))
  lines(epochs, h$val_loss, type = "b", pch = 17, col = "firebrick")
  legend("topright", c("training loss", "validation loss"), col = c("steelblue", "firebrick"), pch = c(19, 17))
}
breaks <- seq(min(boot), max(boot), length.out = 30)
hist(boot["keras", ], breaks = breaks, col = rgb(0.27, 0.51, 0.71, 0.5), border = NA,
     main = sprintf("bootstrap of validation accuracy (%d replicates)", replicates), xlab = "accuracy")
hist(boot["torch", ], breaks = breaks, col = rgb(0.70, 0.13, 0.13, 0.5), border = NA, add = TRUE)
legend("topleft", c("keras", "torch"), fill = c(rgb(0.27, 0.51, 0.71, 0.5), rgb(0.70, 0.13, 0.13, 0.5)))
invisible(dev.off())
cat(sprintf("keras %.4f [%.4f, %.4f]  torch %.4f [%.4f, %.4f]\n",
            result$keras$accuracy, result$keras$ci95[1], result$keras$ci95[2],
            result$torch$accuracy, result$torch$ci95[1], result$torch$ci95[2]))
