/*
 * trn_backend.c - the compute backends this build has. The CPU reference
 * (trn_layers.c, trn_model.c, trn_optim.c) is always present. The CUDA path
 * of issue 8 plugs in here: train/ *.cu files, built when nvcc is found, that
 * define KILN_TRAIN_CUDA and a trn_cuda_ops table with the same contract
 * (see trn_backend_ops in train_internal.h).
 */
#include "train_internal.h"

static const trn_backend_ops cpu_ops = {
	"cpu", trn_model_forward, trn_model_backward, trn_optim_step, NULL
};

#ifdef KILN_TRAIN_CUDA
extern const trn_backend_ops trn_cuda_ops;
#endif

const trn_backend_ops *trn_backend_get(int backend)
{
	if (backend == TRN_BACKEND_CPU)
		return &cpu_ops;
#ifdef KILN_TRAIN_CUDA
	if (backend == TRN_BACKEND_CUDA)
		return &trn_cuda_ops;
#endif
	return NULL;
}

int trn_backend_available(int backend)
{
	return trn_backend_get(backend) != NULL;
}
